use super::*;

#[test]
fn standard_names_round_trip() {
    for t in StandardType::ALL {
        assert_eq!(StandardType::parse(t.as_str()), Some(t));
        assert_eq!(EventType::from_name(t.as_str()), Ok(EventType::Standard(t)));
    }
}

#[test]
fn custom_name_is_lowercased_and_a_standard_name_is_sent_as_standard() {
    assert_eq!(
        EventType::from_name("My_Event-1")
            .unwrap()
            .custom_name()
            .unwrap()
            .as_str(),
        "my_event-1"
    );
    assert_eq!(
        EventType::from_name("Order_Created"),
        Ok(EventType::Standard(StandardType::OrderCreated))
    );
}

#[test]
fn custom_name_rules() {
    assert_eq!(EventType::from_name(""), Err(NameError::Empty));
    assert_eq!(
        EventType::from_name(&"a".repeat(65)),
        Err(NameError::TooLong(65))
    );
    assert!(EventType::from_name(&"a".repeat(64)).is_ok());
    assert_eq!(
        EventType::from_name("a b"),
        Err(NameError::BadCharacter(' '))
    );
    assert_eq!(EventType::from_name("_ab"), Err(NameError::BadEnd));
    assert_eq!(EventType::from_name("ab-"), Err(NameError::BadEnd));
    assert_eq!(EventType::from_name("é"), Err(NameError::BadCharacter('é')));
}

#[test]
fn inherit_maps_ga4_names_and_keeps_standard_ones() {
    let cases = [
        ("page_view", StandardType::PageViewed),
        ("view_item", StandardType::ContentsViewed),
        ("add_to_cart", StandardType::ItemsAdded),
        ("begin_checkout", StandardType::CheckoutStarted),
        ("purchase", StandardType::OrderCreated),
        ("generate_lead", StandardType::LeadCreated),
        ("sign_up", StandardType::RegistrationCompleted),
        ("trial_started", StandardType::TrialStarted),
    ];
    for (ga4, expected) in cases {
        assert_eq!(
            EventType::inherit(ga4),
            Ok(EventType::Standard(expected)),
            "{ga4}"
        );
    }
    let custom = EventType::inherit("unknown_ga4_event").unwrap();
    assert_eq!(custom.api_type(), "custom");
    assert_eq!(custom.custom_name().unwrap().as_str(), "unknown_ga4_event");
    assert!(EventType::inherit("gtm.dom").is_err());
}

#[test]
fn data_shapes_per_type() {
    use DataShape::*;
    assert_eq!(StandardType::PageViewed.data_shape(), Contents);
    assert_eq!(StandardType::AppOpened.data_shape(), CustomerAction);
    assert_eq!(StandardType::TrialStarted.data_shape(), PlanEnrollment);
    assert_eq!(EventType::from_name("x").unwrap().data_shape(), Custom);
}
