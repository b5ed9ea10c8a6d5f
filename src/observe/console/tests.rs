use super::*;

#[test]
fn request_record_embeds_the_body_as_json() {
    let body = LoggedRequestBody::new(br#"{"events":[]}"#, false).unwrap();
    let r = Record {
        event_name: Some("page_viewed"),
        request_method: Some("POST"),
        request_url: Some("https://bzr.openai.com/v1/events?pid=px"),
        request_body: Some(&body),
        trace_id: Some("t-1"),
        ..Record::new(RecordType::Request)
    };
    assert_eq!(
        r.to_line(),
        r#"{"Name":"OpenAIEventsAPITag","Type":"Request","EventName":"page_viewed","RequestMethod":"POST","RequestUrl":"https://bzr.openai.com/v1/events?pid=px","RequestBody":{"events":[]},"TraceId":"t-1"}"#
    );
}

#[test]
fn message_record_and_levels() {
    let r = Record::message("Event dropped", Some("event id is required"));
    assert_eq!(
        r.to_line(),
        r#"{"Name":"OpenAIEventsAPITag","Type":"Message","Message":"Event dropped","Reason":"event id is required"}"#
    );
    assert_eq!(level(ConsoleLogging::Off), None);
    assert_eq!(level(ConsoleLogging::Debug), Some(log::Level::Debug));
    assert_eq!(level(ConsoleLogging::Always), Some(log::Level::Info));
}

#[test]
fn the_tap_sees_every_record_even_with_the_console_off() {
    use std::rc::Rc;
    let seen = Rc::new(RefCell::new(Vec::new()));
    enter_plugin(1);
    assert!(!wanted(ConsoleLogging::Off));
    let sink = Rc::clone(&seen);
    set_tap(
        1,
        Some(Box::new(move |r: &Record<'_>| {
            sink.borrow_mut().push(r.to_line());
        })),
    );
    assert!(wanted(ConsoleLogging::Off));
    emit(ConsoleLogging::Off, &Record::message("m", None));
    tap(&Record::message("n", None));
    set_tap(1, None);
    emit(ConsoleLogging::Off, &Record::message("o", None));
    assert_eq!(seen.borrow().len(), 2);
    assert!(seen.borrow()[1].contains("\"n\""));
}

#[test]
fn a_plugins_records_reach_only_its_own_tap() {
    use std::rc::Rc;
    let a_rows = Rc::new(RefCell::new(Vec::new()));
    let sink = Rc::clone(&a_rows);
    set_tap(
        10,
        Some(Box::new(move |r: &Record<'_>| {
            sink.borrow_mut().push(r.to_line());
        })),
    );
    // Plugin 11 shares the VM but logs nowhere: its records are not plugin 10's rows, and
    // nothing is built for them.
    enter_plugin(11);
    assert!(!wanted(ConsoleLogging::Off));
    emit(ConsoleLogging::Off, &Record::message("from 11", None));
    enter_plugin(10);
    assert!(wanted(ConsoleLogging::Off));
    emit(ConsoleLogging::Off, &Record::message("from 10", None));
    set_tap(10, None);
    assert_eq!(a_rows.borrow().len(), 1);
    assert!(a_rows.borrow()[0].contains("from 10"));
}

#[test]
fn a_record_line_never_holds_a_raw_line_break() {
    let name = "page_view\r\n{\"Name\":\"forged\"}\u{2028}x";
    let line = Record {
        event_name: Some(name),
        ..Record::message(INVALID_EVENT_MESSAGE, Some(name))
    }
    .to_line();
    assert!(!line.contains(['\r', '\n', '\u{2028}']), "{line}");
    let back: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(back["EventName"], name);
}
