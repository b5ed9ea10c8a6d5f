//! BigQuery `insertAll` answers: a batch of 1 to 8 rows (the input's first byte; its top bit:
//! whether the token source can refresh) answered with the status in the next two bytes
//! (big-endian) and the rest as body. Every row ends sent, failed, dropped or queued again,
//! none lost and none counted twice; rows count as sent only on a 2xx; the failure text never
//! quotes the answer (checked with a marker added to it); the insert body was JSON carrying
//! every row.
#![no_main]
use libfuzzer_sys::fuzz_target;
use openai_capi_filter::observe::bigquery::batch::{InsertResult, Outbox, Outcome};
use serde_json::Value;

const MARKER: &str = "ANSWER-MARKER-7f3a";

fn insert(rows: usize, status: u16, body: &[u8], refreshable: bool) -> Outcome {
    let mut outbox = Outbox::new("fuzz".into());
    for i in 0..rows {
        outbox.push(format!(r#"{{"timestamp":{i},"message":"row {i}"}}"#), 0);
    }
    let mut batches = outbox.take_all(0);
    assert_eq!(batches.len(), 1, "one batch for {rows} small rows");
    let batch = batches.remove(0);
    let sent: Value = serde_json::from_slice(&batch.body()).expect("the insert body is JSON");
    assert_eq!(
        sent["rows"].as_array().map(Vec::len),
        Some(rows),
        "every row in the body"
    );
    let answer = InsertResult::Answered {
        status,
        body: body.to_vec(),
    };
    let outcome = outbox.complete(batch, answer, 1000, refreshable, 0.5);
    let queued = outbox.queued_rows() as u64;
    assert_eq!(
        outcome.rows_sent + outcome.rows_failed + outcome.rows_dropped + queued,
        rows as u64,
        "{outcome:?}, {queued} queued"
    );
    if outcome.rows_sent > 0 {
        assert!((200..300).contains(&status), "rows sent on HTTP {status}");
    }
    outcome
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let Some((status, body)) = rest.split_first_chunk::<2>() else {
        return;
    };
    let status = u16::from_be_bytes(*status);
    let (rows, refreshable) = (usize::from(first & 7) + 1, first & 0x80 != 0);
    insert(rows, status, body, refreshable);
    if body.windows(6).any(|w| w == b"MARKER") {
        return;
    }
    let marked = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(mut object)) => {
            object.insert("error".into(), MARKER.into());
            serde_json::to_vec(&object).expect("a JSON object serializes")
        }
        _ => [body, MARKER.as_bytes()].concat(),
    };
    if let Some(failure) = insert(rows, status, &marked, refreshable).failure {
        assert!(!failure.contains("MARKER"), "{failure}");
    }
});
