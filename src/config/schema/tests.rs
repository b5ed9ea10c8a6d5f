use super::*;
use crate::config::shape::LIST_FIELDS;

/// Dotted paths of every array-typed property, following `$ref`s from the root.
fn array_fields(schema: &Value, node: &Value, path: &str, out: &mut Vec<String>) {
    if let Some(reference) = node.get("$ref").and_then(Value::as_str) {
        let target = schema.pointer(reference.trim_start_matches('#'));
        if let Some(target) = target {
            array_fields(schema, target, path, out);
        }
        return;
    }
    for branch in ["anyOf", "oneOf", "allOf"] {
        for sub in node
            .get(branch)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            array_fields(schema, sub, path, out);
        }
    }
    let types = node.get("type");
    let is_array = types == Some(&json!("array"))
        || types
            .and_then(Value::as_array)
            .is_some_and(|t| t.contains(&json!("array")));
    if is_array && !out.iter().any(|p| p == path) {
        out.push(path.to_owned());
    }
    for (key, sub) in node
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if key == "overrides" {
            continue;
        }
        let child = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        array_fields(schema, sub, &child, out);
    }
}

#[test]
fn every_list_field_of_the_schema_is_allowed_by_the_shape_check() {
    let schema = generate();
    let mut found = Vec::new();
    array_fields(&schema, &schema, "", &mut found);
    found.sort();
    let mut expected: Vec<String> = LIST_FIELDS.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(found, expected, "update shape::LIST_FIELDS");
}

#[test]
fn checked_in_schema_is_generated_from_the_config_types() {
    let generated = generate();
    assert!(generated.get("error").is_none(), "{generated}");
    let text = format!("{}\n", serde_json::to_string_pretty(&generated).unwrap());
    if std::env::var_os("UPDATE_CONFIG_SCHEMA").is_some() {
        std::fs::write(SCHEMA_FILE, &text).unwrap();
    }
    let checked_in = std::fs::read_to_string(SCHEMA_FILE).unwrap_or_default();
    assert!(
        checked_in == text,
        "config.schema.json is stale: the config types changed. Run `make schema` and commit it."
    );
}

#[test]
fn every_config_key_has_a_description() {
    let schema = generate();
    let undocumented: Vec<String> = reference_rows(&schema)
        .into_iter()
        .filter(|row| row.description.is_none())
        .map(|row| row.key)
        .collect();
    assert!(
        undocumented.is_empty(),
        "give these raw config fields a doc comment (it becomes the schema's description and \
         the row in docs/configuration.md): {undocumented:?}"
    );
}

#[test]
fn configuration_reference_table_is_generated_from_the_schema() {
    let table = reference_table(&generate());
    let mut doc = std::fs::read_to_string(REFERENCE_FILE).unwrap();
    let start = doc
        .find(REFERENCE_START)
        .expect("docs/configuration.md: start marker");
    let body_start = start + REFERENCE_START.len() + 1;
    let end = doc
        .find(REFERENCE_END)
        .expect("docs/configuration.md: end marker");
    let expected = format!("{}{table}{}", &doc[..body_start], &doc[end..]);
    if std::env::var_os("UPDATE_CONFIG_SCHEMA").is_some() {
        std::fs::write(REFERENCE_FILE, &expected).unwrap();
        doc.clone_from(&expected);
    }
    assert!(
        doc == expected,
        "docs/configuration.md's key table is stale: run `make schema` and commit it."
    );
}
