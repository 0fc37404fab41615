//! JavaScript-compatible value conversion: how Postman turns a variable's JSON value into the text
//! that replaces a `{{token}}`, and how the SDK's variable `type` casts a stored value.
//!
//! Conversion table (postman-collection `Variable#toString` and `String(value)`):
//!
//! | value                 | text                                                  |
//! | --------------------- | ----------------------------------------------------- |
//! | `"abc"`               | `abc`                                                 |
//! | `1.0`, `0.1`, `1e21`  | `1`, `0.1`, `1e+21` (JavaScript `Number#toString`)    |
//! | `12345678901234567890`| exact digits (JSON integers are never rounded)        |
//! | `true`                | `true`                                                |
//! | `null`                | `null`                                                |
//! | `{"a":1}`             | `[object Object]`                                     |
//! | `[1,[2,null],"x"]`    | `1,2,,x` (`Array#toString`, `null` elements are empty) |

use serde_json::{Number, Value};

/// The text JavaScript's `String(value)` gives for a JSON value.
pub(crate) fn js_string(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => js_number_string(n),
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                // `Array#join` turns null (and undefined) elements into empty strings.
                Value::Null => String::new(),
                other => js_string(other),
            })
            .collect::<Vec<_>>()
            .join(","),
        Value::Object(_) => "[object Object]".to_owned(),
    }
}

/// JavaScript's `Number#toString` for a JSON number; integers keep all their digits.
fn js_number_string(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    n.as_f64()
        .map(js_f64_string)
        .unwrap_or_else(|| n.to_string())
}

/// JavaScript's `Number#toString` (ECMA-262 `Number::toString`, radix 10) for an `f64`.
pub(crate) fn js_f64_string(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    if x == 0.0 {
        return "0".to_owned();
    }
    let sign = if x < 0.0 { "-" } else { "" };
    // `{:e}` gives the shortest round-trip digits, as JavaScript does: "1.2345e3".
    let sci = format!("{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let exp: i32 = exp.parse().unwrap_or(0);
    let k = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    // `n` is where the decimal point goes, counted from the first digit.
    let n = exp + 1;
    let body = if k <= n && n <= 21 {
        format!(
            "{digits}{}",
            "0".repeat(usize::try_from(n - k).unwrap_or(0))
        )
    } else if 0 < n && n <= 21 {
        let (int, frac) = digits.split_at(usize::try_from(n).unwrap_or(0));
        format!("{int}.{frac}")
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat(usize::try_from(-n).unwrap_or(0)))
    } else {
        let (first, rest) = digits.split_at(1);
        let exp_sign = if n > 0 { "+" } else { "-" };
        let dot = if rest.is_empty() { "" } else { "." };
        format!("{first}{dot}{rest}e{exp_sign}{}", (n - 1).abs())
    };
    format!("{sign}{body}")
}

/// JavaScript's `Number(value)`, for the SDK's `number` variable type.
fn js_to_number(value: Option<&Value>) -> f64 {
    match value {
        None => f64::NAN,
        Some(Value::Null) => 0.0,
        Some(Value::Bool(b)) => f64::from(u8::from(*b)),
        Some(Value::Number(n)) => n.as_f64().unwrap_or(f64::NAN),
        Some(Value::String(s)) => js_parse_number(s),
        Some(Value::Array(items)) => match items.as_slice() {
            [] => 0.0,
            [one] => js_parse_number(&js_string(one)),
            _ => f64::NAN,
        },
        Some(Value::Object(_)) => f64::NAN,
    }
}

/// JavaScript's string-to-number rule: trimmed, empty is 0, `0x`/`0o`/`0b` prefixes, `Infinity`.
fn js_parse_number(s: &str) -> f64 {
    let t = s.trim();
    if t.is_empty() {
        return 0.0;
    }
    for (prefix, radix) in [
        ("0x", 16),
        ("0X", 16),
        ("0o", 8),
        ("0O", 8),
        ("0b", 2),
        ("0B", 2),
    ] {
        if let Some(rest) = t.strip_prefix(prefix) {
            return u64::from_str_radix(rest, radix).map_or(f64::NAN, |v| v as f64);
        }
    }
    let unsigned = t.trim_start_matches(['+', '-']);
    if unsigned == "Infinity" {
        return if t.starts_with('-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
    }
    // Rust also accepts "inf" and "nan", JavaScript does not.
    if !unsigned.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        return f64::NAN;
    }
    t.parse().unwrap_or(f64::NAN)
}

/// JavaScript truthiness (`Boolean(value)`), for the SDK's `boolean` variable type.
fn js_truthy(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(_) | Value::Object(_)) => true,
    }
}

/// A JSON value for a JavaScript number; NaN and infinities have none, so they are kept as text.
fn number_value(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9_007_199_254_740_992.0 {
        // Integral and exactly representable, so the cast to i64 is lossless.
        return Value::from(x as i64);
    }
    Number::from_f64(x).map_or_else(|| Value::String(js_f64_string(x)), Value::Number)
}

/// The value a Postman SDK variable of type `kind` holds after `set(raw)` then `get()`.
///
/// `None` stands for JavaScript `undefined`. Types other than `string`, `number`, `boolean`,
/// `array` and `object` (`any`, `default`, `secret`, `text`, ...) keep the value as it is.
/// NaN and infinities are kept as the strings `NaN`, `Infinity`, `-Infinity`.
pub(crate) fn cast(kind: Option<&str>, raw: Option<Value>) -> Option<Value> {
    let kind = kind.map(str::to_ascii_lowercase);
    match kind.as_deref() {
        Some("string") => Some(Value::String(
            raw.as_ref()
                .map_or_else(|| "undefined".to_owned(), js_string),
        )),
        Some("number") => Some(number_value(js_to_number(raw.as_ref()))),
        Some("boolean") => Some(Value::Bool(js_truthy(raw.as_ref()))),
        Some(kind @ ("array" | "object")) => {
            // The SDK stores JSON text and parses it back on every read.
            let parsed = match raw? {
                Value::String(text) => serde_json::from_str(&text).ok()?,
                other => other,
            };
            let fits = if kind == "array" {
                parsed.is_array()
            } else {
                parsed.is_object()
            };
            fits.then_some(parsed)
        }
        _ => raw,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_print_like_javascript() {
        let cases = [
            (json!(1.0), "1"),
            (json!(0.1), "0.1"),
            (json!(-2.5), "-2.5"),
            (json!(1e21), "1e+21"),
            (json!(1.5e-7), "1.5e-7"),
            (json!(0.000001), "0.000001"),
            (json!(123456789012345680000.0), "123456789012345680000"),
            (json!(12345678901234567890_u64), "12345678901234567890"),
            (json!(-9007199254740993_i64), "-9007199254740993"),
            (json!(100), "100"),
        ];
        for (value, text) in cases {
            assert_eq!(js_string(&value), text, "{value}");
        }
        assert_eq!(js_f64_string(f64::NAN), "NaN");
        assert_eq!(js_f64_string(-0.0), "0");
    }

    #[test]
    fn other_values_print_like_javascript() {
        assert_eq!(js_string(&json!(true)), "true");
        assert_eq!(js_string(&json!(null)), "null");
        assert_eq!(js_string(&json!({"a": 1})), "[object Object]");
        assert_eq!(
            js_string(&json!([1, [2, null], "x", {}])),
            "1,2,,x,[object Object]"
        );
        assert_eq!(js_string(&json!([])), "");
    }

    #[test]
    fn typed_variables_cast_like_the_sdk() {
        assert_eq!(cast(Some("number"), Some(json!("5"))), Some(json!(5)));
        assert_eq!(cast(Some("number"), Some(json!(" 0x10 "))), Some(json!(16)));
        assert_eq!(cast(Some("number"), Some(json!("abc"))), Some(json!("NaN")));
        assert_eq!(cast(Some("number"), Some(json!(""))), Some(json!(0)));
        assert_eq!(
            cast(Some("boolean"), Some(json!("false"))),
            Some(json!(true))
        );
        assert_eq!(cast(Some("boolean"), Some(json!(""))), Some(json!(false)));
        assert_eq!(cast(Some("string"), Some(json!(12))), Some(json!("12")));
        assert_eq!(cast(Some("String"), None), Some(json!("undefined")));
        assert_eq!(
            cast(Some("array"), Some(json!("[1,2]"))),
            Some(json!([1, 2]))
        );
        assert_eq!(cast(Some("array"), Some(json!("{}"))), None);
        assert_eq!(
            cast(Some("object"), Some(json!({"a": 1}))),
            Some(json!({"a": 1}))
        );
        assert_eq!(cast(Some("object"), Some(json!("not json"))), None);
        assert_eq!(cast(Some("secret"), Some(json!(7))), Some(json!(7)));
        assert_eq!(cast(None, None), None);
    }
}
