//! Loading every kind of input file: one named test per broken fixture (message, position and
//! key phrase), good files of each kind, and round trips of real collections.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use snapman::collection::load::{parse_collection, parse_variable_file};
use snapman::collection::{
    LoadError, SchemaVersion, load_collection, load_data_file, load_variable_file, parse_data,
};
use snapman::error::{EXIT_INPUT, Error};

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// Loads a file with the loader its name calls for and returns the rendered error.
fn load_error(path: &Path) -> String {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let result: Result<(), LoadError> = if name.contains(".postman_collection.") {
        load_collection(path).map(drop)
    } else if name.contains(".postman_environment.") {
        load_variable_file(path, "environment").map(drop)
    } else if name.contains(".postman_globals.") {
        load_variable_file(path, "globals").map(drop)
    } else {
        load_data_file(path).map(drop)
    };
    match result {
        Ok(()) => panic!("{} loaded without an error", path.display()),
        Err(e) => e.to_string(),
    }
}

/// Every file in tests/fixtures/broken/: its position (`None` for whole-file errors) and the
/// phrases its message must contain.
const BROKEN: &[(&str, Option<&str>, &[&str])] = &[
    (
        "auth-type-number.postman_collection.json",
        Some("3:20"),
        &[
            "invalid type: integer `7`, expected a string",
            "at auth.type",
        ],
    ),
    (
        "elf-binary.postman_data.csv",
        None,
        &["binary file, not text", "it starts with 7f 45 4c 46"],
    ),
    (
        "gzip-binary.postman_collection.json",
        None,
        &["binary file, not text", "it starts with 1f 8b 08 00"],
    ),
    (
        "invalid-utf8.postman_collection.json",
        Some("4:18"),
        &["invalid UTF-8 (byte 0xe9); save the file as UTF-8"],
    ),
    (
        "invalid-utf8.postman_environment.json",
        Some("4:32"),
        &["invalid UTF-8 (byte 0xfc)"],
    ),
    (
        "invalid-utf8.postman_globals.json",
        Some("3:30"),
        &["invalid UTF-8 (byte 0x80)"],
    ),
    (
        "latin1.postman_data.csv",
        Some("2:6"),
        &["invalid UTF-8 (byte 0xfc)", "ann,Z"],
    ),
    (
        "png-binary.postman_environment.json",
        None,
        &["binary file, not text", "it starts with 89 50 4e 47"],
    ),
    (
        "unknown-auth-folder.postman_collection.json",
        Some("6:24"),
        &[
            "unknown auth type `Bearer`",
            "item[0] \"Folder\" › auth.type",
        ],
    ),
    (
        "unknown-auth-type.postman_collection.json",
        Some("5:24"),
        &[
            "unknown auth type `kerberos` (known: noauth",
            "request.auth.type",
        ],
    ),
    (
        "bad-closing-quote.postman_data.csv",
        Some("2:11"),
        &["invalid closing quote", "a,\"quoted\"tail"],
    ),
    (
        "bad-json.postman_data.json",
        Some("3:11"),
        &["invalid JSON: expected `:`"],
    ),
    ("blank.postman_data.csv", None, &["file is empty"]),
    (
        "collection-as-environment.postman_environment.json",
        Some("1:1"),
        &["this is a Postman collection, not an environment file"],
    ),
    ("empty.postman_collection.json", None, &["file is empty"]),
    (
        "environment-as-collection.postman_collection.json",
        Some("1:1"),
        &["not a Postman collection", "looks like an environment"],
    ),
    (
        "folder-url-bool.postman_collection.json",
        Some("7:46"),
        &[
            "expected a URL string or a URL object, found a boolean (true)",
            "item[0] \"Auth\" › item[0] \"Login\" › request.url",
            "item[0].item[0].request.url",
        ],
    ),
    (
        "header-number.postman_collection.json",
        Some("9:19"),
        &[
            "expected a list of headers or a string, found a number (7)",
            "item[1] \"Get token\" › request.header",
            "(item[1].request.header)",
        ],
    ),
    (
        "item-number.postman_collection.json",
        Some("3:11"),
        &["invalid type: integer `5`, expected a sequence", "at item"],
    ),
    (
        "minified.postman_collection.json",
        Some("1:1239"),
        &[
            "invalid type: string \"nope\", expected a sequence",
            "item[30] \"r30\" › request.url.query",
            "…",
        ],
    ),
    (
        "missing-key.postman_environment.json",
        Some("5:5"),
        &["variable [1] has no `key`", "at values[1]"],
    ),
    (
        "not-a-collection.postman_collection.json",
        Some("1:1"),
        &["not a Postman collection", "neither `info` nor `item`"],
    ),
    (
        "object-not-array.postman_data.json",
        Some("1:1"),
        &[
            "data file holds a JSON object",
            "expected an array of objects",
        ],
    ),
    (
        "request-number.postman_collection.json",
        Some("4:38"),
        &[
            "expected a URL string or a request object, found a number (42)",
            "item[0] \"Get token\" › request",
        ],
    ),
    (
        "row-not-object.postman_data.json",
        Some("3:3"),
        &["data row [1] is a string; expected an object"],
    ),
    (
        "script-exec-number.postman_collection.json",
        Some("7:62"),
        &[
            "invalid type: integer `3`, expected a string",
            "item[0] \"Check\" › event[0].script.exec[1]",
        ],
    ),
    (
        "syntax-trailing-comma.postman_collection.json",
        Some("4:1"),
        &["invalid JSON: trailing comma", "  4 | }"],
    ),
    (
        "unclosed-quote.postman_data.csv",
        Some("2:3"),
        &["quote not closed"],
    ),
    (
        "utf16-syntax.postman_environment.json",
        Some("3:17"),
        &[
            "invalid JSON: expected `,` or `}`",
            "{\"key\": \"a\" \"value\": 1}",
        ],
    ),
    (
        "v1.postman_collection.json",
        Some("5:15"),
        &["collection format v1 is not supported; export it as v2.1 from Postman (File > Export)"],
    ),
    (
        "values-object.postman_globals.json",
        Some("3:15"),
        &[
            "invalid type: map, expected a sequence",
            "at globals.values",
        ],
    ),
];

fn check_broken(file: &str) {
    let (_, position, phrases) = BROKEN
        .iter()
        .find(|(name, _, _)| *name == file)
        .unwrap_or_else(|| panic!("{file} has no entry in BROKEN"));
    let path = fixture("broken").join(file);
    let shown = load_error(&path);
    let head = match position {
        Some(pos) => format!("{}:{pos}: ", path.display()),
        None => format!("{}: ", path.display()),
    };
    assert!(
        shown.starts_with(&head),
        "expected to start with {head:?}:\n{shown}"
    );
    if position.is_some() {
        assert!(
            shown
                .lines()
                .nth(2)
                .is_some_and(|l| l.trim_end().ends_with('^')),
            "no caret:\n{shown}"
        );
    }
    for phrase in *phrases {
        assert!(shown.contains(phrase), "missing {phrase:?} in:\n{shown}");
    }
}

macro_rules! broken {
    ($($test:ident => $file:literal,)*) => {
        $(
            #[test]
            fn $test() {
                check_broken($file);
            }
        )*

        #[test]
        fn every_broken_fixture_has_a_test_and_an_entry() {
            let tested = [$($file),*];
            for entry in fs::read_dir(fixture("broken")).unwrap() {
                let entry = entry.unwrap();
                // Subdirectories hold inputs that load (keys, variables): tests/broken_inputs.rs.
                if entry.path().is_dir() {
                    continue;
                }
                let name = entry.file_name().to_string_lossy().into_owned();
                assert!(tested.contains(&name.as_str()), "no test for broken/{name}");
                assert!(BROKEN.iter().any(|(f, _, _)| *f == name), "no BROKEN entry for {name}");
            }
            assert_eq!(tested.len(), BROKEN.len());
        }
    };
}

broken! {
    broken_auth_type_number => "auth-type-number.postman_collection.json",
    broken_elf_binary => "elf-binary.postman_data.csv",
    broken_gzip_binary => "gzip-binary.postman_collection.json",
    broken_invalid_utf8_collection => "invalid-utf8.postman_collection.json",
    broken_invalid_utf8_environment => "invalid-utf8.postman_environment.json",
    broken_invalid_utf8_globals => "invalid-utf8.postman_globals.json",
    broken_latin1 => "latin1.postman_data.csv",
    broken_png_binary => "png-binary.postman_environment.json",
    broken_unknown_auth_folder => "unknown-auth-folder.postman_collection.json",
    broken_unknown_auth_type => "unknown-auth-type.postman_collection.json",
    broken_bad_closing_quote => "bad-closing-quote.postman_data.csv",
    broken_bad_json => "bad-json.postman_data.json",
    broken_blank => "blank.postman_data.csv",
    broken_collection_as_environment => "collection-as-environment.postman_environment.json",
    broken_empty => "empty.postman_collection.json",
    broken_environment_as_collection => "environment-as-collection.postman_collection.json",
    broken_folder_url_bool => "folder-url-bool.postman_collection.json",
    broken_header_number => "header-number.postman_collection.json",
    broken_item_number => "item-number.postman_collection.json",
    broken_minified => "minified.postman_collection.json",
    broken_missing_key => "missing-key.postman_environment.json",
    broken_not_a_collection => "not-a-collection.postman_collection.json",
    broken_object_not_array => "object-not-array.postman_data.json",
    broken_request_number => "request-number.postman_collection.json",
    broken_row_not_object => "row-not-object.postman_data.json",
    broken_script_exec_number => "script-exec-number.postman_collection.json",
    broken_syntax_trailing_comma => "syntax-trailing-comma.postman_collection.json",
    broken_unclosed_quote => "unclosed-quote.postman_data.csv",
    broken_utf16_syntax => "utf16-syntax.postman_environment.json",
    broken_v1 => "v1.postman_collection.json",
    broken_values_object => "values-object.postman_globals.json",
}

#[test]
fn missing_files_and_directories_name_the_path_and_map_to_input_errors() {
    let missing = fixture("load/no-such-file.json");
    let err = load_collection(&missing).unwrap_err();
    assert!(matches!(err, LoadError::Read { .. }));
    let err = Error::from(err);
    assert!(
        err.to_string()
            .starts_with(&format!("failed to read {}", missing.display()))
    );
    assert_eq!(err.exit_code(), EXIT_INPUT);

    let dir = fixture("load");
    let err = Error::from(load_data_file(&dir).unwrap_err());
    assert!(
        matches!(&err, Error::Input(m) if m == &format!("{}: is a directory, expected a file", dir.display()))
    );
}

/// Differences between a file as parsed and the model written back, as readable lines.
fn differences(raw: &Value, back: &Value) -> Vec<String> {
    let mut out = Vec::new();
    diff(raw, back, String::new(), &mut out);
    out
}

fn diff(a: &Value, b: &Value, at: String, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                match y.get(k) {
                    Some(w) => diff(v, w, format!("{at}.{k}"), out),
                    None => out.push(format!("lost {at}.{k} = {v}")),
                }
            }
            for (k, v) in y.iter().filter(|(k, _)| !x.contains_key(*k)) {
                out.push(format!("added {at}.{k} = {v}"));
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                diff(v, w, format!("{at}[{i}]"), out);
            }
        }
        _ if a != b => out.push(format!("changed {at}: {a} -> {b}")),
        _ => {}
    }
}

fn round_trip(rel: &str) -> Vec<String> {
    let loaded = load_collection(&fixture(rel)).unwrap();
    let back = serde_json::to_value(&loaded.collection).unwrap();
    differences(&loaded.raw, &back)
}

#[test]
fn newman_collections_round_trip_without_loss() {
    for rel in [
        "load/echo-v2.postman_collection.json",
        "load/multi-level-folders-v2.postman_collection.json",
        "load/protocol-profile-behavior.postman_collection.json",
        "load/bom-in-collection-file.postman_collection.json",
    ] {
        assert_eq!(round_trip(rel), Vec::<String>::new(), "{rel}");
    }
}

#[test]
fn oci_plc_round_trips_without_loss() {
    let loaded = load_collection(&fixture("oci-plc/oci-plc.postman_collection.json")).unwrap();
    assert_eq!(loaded.version, SchemaVersion::V2_1);
    assert_eq!(loaded.collection.item.len(), 5);
    let back = serde_json::to_value(&loaded.collection).unwrap();
    assert_eq!(back, loaded.raw);
    let env = load_variable_file(
        &fixture("oci-plc/oci-plc.postman_environment.json"),
        "environment",
    )
    .unwrap();
    assert_eq!(env.values.len(), 29);
}

/// The model turns a `null` query key/value into "absent" (`Option<String>` plus
/// `skip_serializing_if`), so whatwg-url loses exactly those and nothing else.
#[test]
fn whatwg_url_loses_only_null_query_keys_and_values() {
    let diffs = round_trip("load/whatwg-url.postman_collection.json");
    assert!(!diffs.is_empty());
    for d in &diffs {
        let null_query = d.starts_with("lost .item[")
            && d.contains(".request.url.query[")
            && (d.ends_with(".key = null") || d.ends_with(".value = null"));
        assert!(null_query, "unexpected difference: {d}");
    }
}

/// Every known round-trip loss of the model, on one small collection.
#[test]
fn round_trip_losses_are_exactly_these() {
    let text = json!({
        "info": {"name": "c", "description": null},
        "item": [{
            "request": {
                "auth": null,
                "url": {"raw": "http://a?k", "query": [{"key": "k", "value": null}]},
                "header": [{"value": "v"}]
            },
            "event": {"listen": "test", "script": {"exec": "x"}}
        }]
    })
    .to_string();
    let loaded = parse_collection(&text, Path::new("c.json")).unwrap();
    let back = serde_json::to_value(&loaded.collection).unwrap();
    let mut diffs = differences(&loaded.raw, &back);
    diffs.sort();
    assert_eq!(
        diffs,
        [
            "added .item[0].request.header[0].key = \"\"",
            "changed .item[0].event: {\"listen\":\"test\",\"script\":{\"exec\":\"x\"}} -> [{\"listen\":\"test\",\"script\":{\"exec\":\"x\"}}]",
            "lost .info.description = null",
            "lost .item[0].request.auth = null",
            "lost .item[0].request.url.query[0].value = null",
        ]
    );
}

#[test]
fn loads_bom_and_utf16_files() {
    let loaded = load_collection(&fixture(
        "load/bom-in-collection-file.postman_collection.json",
    ))
    .unwrap();
    assert_eq!(loaded.version, SchemaVersion::V2_0);
    assert!(!loaded.collection.info.name.is_empty());
    let env = load_variable_file(
        &fixture("load/utf16-le-encoding-in-env.postman_environment.json"),
        "environment",
    )
    .unwrap();
    assert_eq!(env.values.len(), 4);
    assert!(env.values.iter().all(|v| v.key.is_some()));
}

#[test]
fn loads_a_globals_file_that_is_a_bare_list() {
    let globals = load_variable_file(
        &fixture("load/globals-env-data-files.postman_globals.json"),
        "globals",
    )
    .unwrap();
    let keys: Vec<_> = globals
        .values
        .iter()
        .filter_map(|v| v.key.as_deref())
        .collect();
    assert_eq!(keys.first(), Some(&"full_global_url"));
    assert_eq!(keys.len(), globals.values.len());
}

#[test]
fn environment_of_the_other_scope_is_accepted() {
    let text = r#"{"name": "g", "values": [{"key": "a", "value": "1"}], "_postman_variable_scope": "globals"}"#;
    let env = parse_variable_file(text, Path::new("g.json"), "environment").unwrap();
    assert_eq!(env.values[0].value, Some(json!("1")));
}

#[test]
fn csv_data_matches_newmans_comma_test() {
    let rows = load_data_file(&fixture("load/comma-test-csv.postman_data.csv")).unwrap();
    assert_eq!(
        Value::Array(rows.into_iter().map(Value::Object).collect()),
        json!([{
            "nameWithComma": "Abhijit, Kane",
            "nameWithDoubleQuotes": "Abhijit \"KDOS\" Kane",
            "numberWithQuotes": "00123",
            "numberWithoutQuotes": 7890,
            "negativeNumberWithoutQuotes": -7890,
            "nullValue": "",
            "longNumber": "89111702272002019559",
            "spaceAfterComma": "foo",
            "spaceBeforeComma": "bar",
            "nameWithUnescapedQuotes": "Abhijit \"KDOS\" Kane"
        }])
    );
}

#[test]
fn csv_data_with_bom_matches_newman() {
    let rows = load_data_file(&fixture("load/csv-with-bom.postman_data.csv")).unwrap();
    assert_eq!(
        Value::Object(rows[0].clone()),
        json!({"c1": "123", "c2": "foo \"bar\" baz"})
    );
}

#[test]
fn json_data_keeps_types_and_csv_casts_numbers() {
    let rows = parse_data("[{\"n\": 1.5, \"s\": \"007\"}]", Path::new("d.json")).unwrap();
    assert_eq!(
        Value::Object(rows[0].clone()),
        json!({"n": 1.5, "s": "007"})
    );
    let rows = parse_data("n,s\n007,\"007\"\n", Path::new("d.csv")).unwrap();
    assert_eq!(Value::Object(rows[0].clone()), json!({"n": 7, "s": "007"}));
}
