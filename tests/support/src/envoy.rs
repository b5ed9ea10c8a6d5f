//! The Envoy configuration templates of `tests/envoy/` and their filler (the placeholder rule
//! is described in `tests/envoy/README.md`).

/// The bootstrap: admin, stats, static listeners and clusters.
pub const BOOTSTRAP: &str = include_str!("../../envoy/bootstrap.yaml");
/// One listener with an HTTP connection manager.
pub const LISTENER: &str = include_str!("../../envoy/listener.yaml");
/// One proxy-wasm HTTP filter.
pub const WASM_FILTER: &str = include_str!("../../envoy/wasm_filter.yaml");
/// One loopback cluster.
pub const CLUSTER: &str = include_str!("../../envoy/cluster.yaml");

/// `template` with every `${name}` replaced by its value: inline where it stands within a line
/// (the value must then be one line), as an indented block where it stands alone on its line.
///
/// # Panics
/// When a placeholder has no value, a value has no placeholder, or an inline value spans
/// lines: each is a mistake in the test's configuration, not a condition to handle.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let value = |name: &str| match values.iter().find(|(n, _)| *n == name) {
        Some((_, v)) => *v,
        None => panic!("no value for ${{{name}}}"),
    };
    let mut used = std::collections::BTreeSet::new();
    let mut out = String::with_capacity(template.len());
    for line in template.lines() {
        let trimmed = line.trim_start();
        let block = trimmed
            .strip_prefix("${")
            .and_then(|rest| rest.strip_suffix('}'))
            .filter(|name| is_name(name));
        if let Some(name) = block {
            let indent = &line[..line.len() - trimmed.len()];
            for value_line in value(name).lines() {
                out.push_str(indent);
                out.push_str(value_line);
                out.push('\n');
            }
            used.insert(name.to_owned());
            continue;
        }
        let mut rest = line;
        while let Some(start) = rest.find("${") {
            let Some(len) = rest[start + 2..].find('}') else {
                break;
            };
            let name = &rest[start + 2..start + 2 + len];
            if !is_name(name) {
                break;
            }
            let v = value(name);
            assert!(
                !v.contains('\n'),
                "${{{name}}} is inline: its value must be one line"
            );
            out.push_str(&rest[..start]);
            out.push_str(v);
            used.insert(name.to_owned());
            rest = &rest[start + 3 + len..];
        }
        out.push_str(rest);
        out.push('\n');
    }
    for (name, _) in values {
        assert!(
            used.contains(*name),
            "no placeholder ${{{name}}} in the template"
        );
    }
    out
}

fn is_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests;
