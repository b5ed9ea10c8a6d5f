//! `check-config` as a user runs it: shipped files, fixtures, every form, the VM environment.

// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs check-config with only `env` in its environment.
fn run(file: &Path, env: &[(&str, &str)]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_check-config"))
        .arg(file)
        .env_clear()
        .envs(env.iter().copied())
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// A file in a fresh temporary directory.
fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "check-config-{}-{}",
        std::process::id(),
        name.replace('.', "-")
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// The line Envoy would log, from a refused run's stderr (the line after the location).
fn refusal(run: &Run) -> &str {
    assert_eq!(
        run.code, 1,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stderr);
    assert!(
        lines[0].ends_with("refused; Envoy would log:"),
        "{}",
        run.stderr
    );
    lines[1]
}

#[test]
fn the_quick_start_envoy_config_is_valid_with_no_environment() {
    // Its vm_config gives the key inline.
    let r = run(&root().join("envoy/envoy.yaml"), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .ends_with(": listener site, wasm filter openai_capi: valid\n"),
        "{}",
        r.stdout
    );
}

#[test]
fn the_docker_config_reads_its_key_from_envoys_environment() {
    let file = root().join("envoy/docker/envoy.yaml");
    let r = run(&file, &[("OPENAI_CAPI_KEY", "sk-test")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(&file, &[]);
    assert!(
        refusal(&r).starts_with("invalid configuration: api_key.env: environment variable OPENAI_CAPI_KEY is not visible to the VM"),
        "{}",
        r.stderr
    );
}

#[test]
fn shipped_templates_are_refused_for_their_placeholder() {
    for file in ["envoy/production.yaml", "envoy/istio/wasmplugin.yaml"] {
        let r = run(&root().join(file), &[("OPENAI_CAPI_KEY", "sk-test")]);
        let line = refusal(&r);
        assert!(
            line.starts_with(
                "invalid configuration: pixel_id: \"REPLACE_WITH_PIXEL_ID\" is a placeholder"
            ),
            "{file}: {line}"
        );
    }
}

#[test]
fn fixtures_get_their_verdict_and_a_refusal_is_one_envoy_line() {
    for (dir, valid) in [("valid", true), ("invalid", false)] {
        let mut files: Vec<PathBuf> =
            std::fs::read_dir(root().join("tests/fixtures/config").join(dir))
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
        files.sort();
        assert!(files.len() >= 3);
        for file in files {
            let r = run(&file, &[("OPENAI_CAPI_KEY", "sk-test")]);
            if valid {
                assert_eq!(r.code, 0, "{}: {}", file.display(), r.stderr);
                assert_eq!(r.stdout, format!("{}: valid\n", file.display()));
            } else {
                let line = refusal(&r);
                assert!(
                    line.starts_with("invalid configuration: "),
                    "{}: {line}",
                    file.display()
                );
            }
        }
    }
}

#[test]
fn a_json_syntax_error_names_line_and_column_of_the_file() {
    let file = temp_file(
        "broken.json",
        "{\n  \"pixel_id\": \"p\",\n  \"api_key\": \"k\",\n}\n",
    );
    assert_eq!(
        refusal(&run(&file, &[])),
        "invalid configuration: (top level): trailing comma (line 4, column 1)"
    );
}

#[test]
fn native_yaml_is_read_as_envoy_passes_a_struct() {
    let valid = temp_file(
        "native.yaml",
        "pixel_id: px\napi_key: k\ncollect:\n  max_body_bytes: 4096\n",
    );
    let r = run(&valid, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // A Struct carries no text positions: the field path says where.
    let invalid = temp_file(
        "native-bad.yaml",
        "pixel_id: px\napi_key: k\ncollect:\n  max_body_bytes: -1\n",
    );
    let line = refusal(&run(&invalid, &[])).to_owned();
    assert!(
        line.starts_with("invalid configuration: collect.max_body_bytes: invalid value"),
        "{line}"
    );
    assert!(!line.contains("(line"), "{line}");
}

#[test]
fn an_env_secret_of_a_bare_config_comes_from_the_environment() {
    let file = temp_file(
        "env.json",
        r#"{"pixel_id": "px", "api_key": {"env": "CHECK_CONFIG_KEY"}}"#,
    );
    assert_eq!(run(&file, &[("CHECK_CONFIG_KEY", "sk-test")]).code, 0);
    let r = run(&file, &[]);
    let line = refusal(&r);
    assert!(
        line.starts_with("invalid configuration: api_key.env: environment variable CHECK_CONFIG_KEY is not visible to the VM"),
        "{line}"
    );
    assert!(!r.stderr.contains("sk-test"));
}

fn envoy_yaml(environment_variables: &str) -> String {
    format!(
        r#"static_resources:
  listeners:
  - name: main
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          http_filters:
          - name: envoy.filters.http.wasm
            typed_config:
              config:
                name: openai_capi
                configuration:
                  "@type": type.googleapis.com/google.protobuf.Struct
                  value: {{pixel_id: px, api_key: {{env: CHECK_CONFIG_KEY}}}}
                vm_config:
                  runtime: envoy.wasm.runtime.v8
                  {environment_variables}
"#
    )
}

#[test]
fn an_envoy_file_sees_only_what_vm_config_passes_to_the_vm() {
    let host = [("CHECK_CONFIG_KEY", "sk-test")];
    // Set in Envoy's environment but not listed: the VM does not see it.
    let unlisted = temp_file("unlisted.yaml", &envoy_yaml(""));
    let line = refusal(&run(&unlisted, &host)).to_owned();
    assert!(
        line.contains("CHECK_CONFIG_KEY is not visible to the VM"),
        "{line}"
    );
    let listed = temp_file(
        "listed.yaml",
        &envoy_yaml("environment_variables: {host_env_keys: [CHECK_CONFIG_KEY]}"),
    );
    assert_eq!(run(&listed, &host).code, 0);
    // Listed but unset in Envoy's environment.
    assert!(refusal(&run(&listed, &[])).contains("CHECK_CONFIG_KEY is not visible to the VM"));
    let inline = temp_file(
        "inline.yaml",
        &envoy_yaml("environment_variables: {key_values: {CHECK_CONFIG_KEY: sk-inline}}"),
    );
    assert_eq!(run(&inline, &[]).code, 0);
}

#[test]
fn an_istio_plugin_reads_host_env_only_when_vm_config_names_it() {
    let text = std::fs::read_to_string(root().join("envoy/istio/wasmplugin.yaml"))
        .unwrap()
        .replace("REPLACE_WITH_PIXEL_ID", "px");
    let file = temp_file("wasmplugin.yaml", &text);
    let r = run(&file, &[("OPENAI_CAPI_KEY", "sk-test")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("WasmPlugin openai-capi, spec.pluginConfig: valid"),
        "{}",
        r.stdout
    );
    let unlisted = temp_file(
        "wasmplugin-unlisted.yaml",
        &text.replace(
            "OPENAI_CAPI_KEY\n      valueFrom: HOST",
            "OTHER\n      valueFrom: HOST",
        ),
    );
    assert!(refusal(&run(&unlisted, &[("OPENAI_CAPI_KEY", "sk-test")]))
        .contains("OPENAI_CAPI_KEY is not visible"));
}

#[test]
fn a_line_break_in_the_config_cannot_split_the_line() {
    let file = temp_file(
        "linebreak.json",
        &serde_json::json!({"pixel_id": "p", "api_key": "k", "bad\r\nkey": 1}).to_string(),
    );
    // refusal() asserts the message stays one line.
    let line = refusal(&run(&file, &[])).to_owned();
    assert!(line.contains("bad\\r\\nkey"), "{line}");
}

#[test]
fn unreadable_input_and_usage_errors_exit_2() {
    assert_eq!(run(&root().join("no/such/file.json"), &[]).code, 2);
    let not_config = temp_file("text.txt", "key: [unclosed\n");
    assert_eq!(run(&not_config, &[]).code, 2);
    let out = Command::new(env!("CARGO_BIN_EXE_check-config"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("usage: check-config FILE"));
}
