//! Match-key coverage through real Envoy: every event the API accepts counts once under each
//! identifier kind it carried, on `/stats` and as a `match_key` label on `/stats/prometheus`.

use crate::harness::{Env, Options};
use serde_json::Value;
use std::time::Duration;

const PAGE: &str = "https%3A%2F%2Fshop.example.com%2F";

#[test]
fn sent_events_count_under_each_match_key_they_carry() {
    let env = Env::start(Options::default());
    let headers = [("User-Agent", "Mozilla/5.0 (e2e)")];
    // A logged-in visitor: email and user id (external id) on top of what every web hit has.
    let signed_in = format!(
        "/g/collect?v=2&cid=1.2&_p=1&en=page_view&dl={PAGE}&ep.email=Jane.Doe%40Example.com&uid=u-42"
    );
    // An anonymous visitor who came from an ad click: a click id instead.
    let from_ad = format!("/g/collect?v=2&cid=3.4&_p=2&en=page_view&dl={PAGE}%3Foppref%3Dclick-1");
    assert_eq!(env.get(&signed_in, &headers).status, 204);
    assert_eq!(env.get(&from_ad, &headers).status, 204);
    assert_eq!(env.wait_stat("events_sent", 2, Duration::from_secs(10)), 2);

    // What the API received (one call or two, as delivery batched them) is what the counters
    // describe.
    let events: Vec<Value> = env
        .api
        .requests()
        .iter()
        .inspect(|call| assert_eq!(call.answered_status, 200, "{:?}", call.violations))
        .flat_map(|call| call.events())
        .collect();
    assert_eq!(events.len(), 2);
    let with = |field: &str| {
        events
            .iter()
            .filter(|e| !e["user"][field].is_null())
            .count()
    };
    assert_eq!(with("emails_sha256"), 1);
    assert_eq!(with("external_ids_sha256"), 1);
    assert_eq!(with("ip_address"), 2);
    assert_eq!(with("user_agent"), 2);
    assert_eq!(with("obref"), 2);
    assert_eq!(events.iter().filter(|e| !e["oppref"].is_null()).count(), 1);

    let stats = env.stats();
    for (key, expected) in [
        ("email", 1),
        ("external_id", 1),
        ("click_id", 1),
        ("browser_id", 2),
        ("ip_address", 2),
        ("user_agent", 2),
        ("phone", 0),
        ("address", 0),
    ] {
        assert_eq!(
            stats.get(&format!("events_sent_match_keys_{key}")),
            Some(&expected),
            "{key}: {stats:?}"
        );
    }

    let text = env.prometheus();
    for needle in [
        "# TYPE openai_capi_events_sent_match_keys counter",
        "openai_capi_events_sent_match_keys{match_key=\"email\"} 1",
        "openai_capi_events_sent_match_keys{match_key=\"ip_address\"} 2",
        "openai_capi_events_sent_match_keys{match_key=\"phone\"} 0",
        "openai_capi_events_sent{} 2",
    ] {
        assert!(text.contains(needle), "{needle} missing:\n{text}");
    }
    env.assert_no_crash();
}
