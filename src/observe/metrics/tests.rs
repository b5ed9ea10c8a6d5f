use super::*;

#[test]
fn flat_series_keep_their_names() {
    let names: Vec<String> = Counter::ALL.iter().map(|c| c.name()).collect();
    for flat in [
        "collect_requests",
        "events_received",
        "events_sent",
        "events_failed",
        "api_requests",
        "api_errors",
        "api_retries",
        "retry_queue_dropped",
        "bodies_too_large",
    ] {
        assert!(names.iter().any(|n| n == flat), "{flat}");
    }
    assert_eq!(Gauge::RetryQueueDepth.name(), "retry_queue_depth");
    assert_eq!(Histogram::ApiLatencyMs.name(), "api_latency_ms");
}

#[test]
fn labelled_series_are_named_family_key_value() {
    assert_eq!(
        Counter::EventsSkippedConsentMissing.name(),
        "events_skipped.reason.consent_missing"
    );
    assert_eq!(
        Counter::ApiResponses4xx.name(),
        "api_responses.status_class.4xx"
    );
    assert_eq!(Counter::EventsInvalidInput.family(), "events_invalid");
    assert_eq!(Counter::EventsSent.label(), None);
}

#[test]
fn every_label_key_has_a_tag_regex_and_names_are_unique() {
    let mut seen = std::collections::HashSet::new();
    for c in Counter::ALL {
        assert!(seen.insert(c.name()), "duplicate series {}", c.name());
        if let Some((key, value)) = c.label() {
            assert!(
                TAG_REGEXES.iter().any(|(k, _)| *k == key),
                "label {key} of {} has no stats_tags regex",
                c.family()
            );
            assert!(
                value
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_'),
                "label value {value} would not match the tag regex"
            );
        }
    }
}

#[test]
fn each_match_key_has_a_sent_series_labelled_with_its_name() {
    let mut seen = std::collections::HashSet::new();
    for key in MatchKey::ALL {
        let counter = Counter::sent_with(key);
        assert!(seen.insert(counter), "{} shares a series", key.as_str());
        assert_eq!(counter.family(), "events_sent_match_keys");
        assert_eq!(counter.label(), Some(("match_key", key.as_str())));
    }
    assert_eq!(
        Counter::ALL
            .iter()
            .filter(|c| c.family() == "events_sent_match_keys")
            .count(),
        MatchKey::ALL.len()
    );
}

/// Envoy tries every `stats_tags` regex in turn on the stat name: a name must be tagged
/// with its own label only, whatever the order.
#[test]
fn each_stat_name_matches_only_the_tag_regex_of_its_own_label() {
    let regexes: Vec<(&str, regex::Regex)> = TAG_REGEXES
        .iter()
        .map(|(key, re)| (*key, regex::Regex::new(re).unwrap()))
        .collect();
    for c in Counter::ALL {
        let stat = format!("wasmcustom.{DEFAULT_PREFIX}.{}", c.name());
        let tags: Vec<(&str, &str)> = regexes
            .iter()
            .filter_map(|(key, re)| {
                let caps = re.captures(&stat)?;
                Some((*key, caps.get(2)?.as_str()))
            })
            .collect();
        assert_eq!(tags, c.label().into_iter().collect::<Vec<_>>(), "{stat}");
    }
}

#[test]
fn memory_metrics_accumulate() {
    let m = MemoryMetrics::default();
    m.add(Counter::EventsSent, 2);
    m.add(Counter::EventsSent, 1);
    m.adjust(Gauge::RetryQueueDepth, 3);
    m.adjust(Gauge::RetryQueueDepth, -1);
    m.record(Histogram::ApiLatencyMs, 12);
    assert_eq!(m.counter(Counter::EventsSent), 3);
    assert_eq!(m.gauge(Gauge::RetryQueueDepth), 2);
    assert_eq!(m.samples(Histogram::ApiLatencyMs), vec![12]);
}
