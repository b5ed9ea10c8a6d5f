use super::*;

#[test]
fn inline_values_replace_the_placeholder_and_blocks_take_its_indentation() {
    let filled = fill(
        "a: ${x}\nlist:\n  ${items}\nb: [${x}, ${y}]\n  ${none}\nend\n",
        &[
            ("x", "1"),
            ("y", "\"two\""),
            ("items", "- p\n- q"),
            ("none", ""),
        ],
    );
    assert_eq!(filled, "a: 1\nlist:\n  - p\n  - q\nb: [1, \"two\"]\nend\n");
}

#[test]
#[should_panic(expected = "no value for ${y}")]
fn a_placeholder_without_a_value_is_a_mistake() {
    fill("a: ${y}\n", &[]);
}

#[test]
#[should_panic(expected = "no placeholder ${z}")]
fn a_value_without_a_placeholder_is_a_mistake() {
    fill("a: 1\n", &[("z", "1")]);
}

#[test]
#[should_panic(expected = "must be one line")]
fn an_inline_value_must_be_one_line() {
    fill("a: ${x}\n", &[("x", "1\n2")]);
}

#[test]
fn every_template_lists_its_placeholders_in_the_readme() {
    let readme = include_str!("../../../envoy/README.md");
    for (file, template) in [
        ("bootstrap.yaml", BOOTSTRAP),
        ("listener.yaml", LISTENER),
        ("wasm_filter.yaml", WASM_FILTER),
        ("cluster.yaml", CLUSTER),
    ] {
        let row = readme
            .lines()
            .find(|l| l.starts_with(&format!("| `{file}` | `")))
            .unwrap_or_else(|| panic!("README.md has no placeholder row for {file}"));
        let mut names: Vec<&str> = template
            .split("${")
            .skip(1)
            .filter_map(|s| s.split_once('}').map(|(name, _)| name))
            .collect();
        names.sort_unstable();
        names.dedup();
        let mut listed: Vec<&str> = row
            .split('`')
            .skip(3)
            .step_by(2)
            .filter(|s| is_name(s))
            .collect();
        listed.sort_unstable();
        listed.dedup();
        assert_eq!(listed, names, "{file}");
    }
}
