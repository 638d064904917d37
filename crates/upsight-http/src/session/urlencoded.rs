//! `application/x-www-form-urlencoded` decoding for login forms and query strings, and the
//! removal of the `token` parameter from a query (axum is built without its `form` feature).

use std::borrow::Cow;

/// Decodes `+` and `%XX`; invalid escapes are kept literally, invalid UTF-8 is replaced.
pub(crate) fn decode(raw: &str) -> Cow<'_, str> {
    if !raw.contains(['+', '%']) {
        return Cow::Borrowed(raw);
    }
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let escaped = bytes.get(i + 1..i + 3).and_then(|hex| {
            let hex = std::str::from_utf8(hex).ok()?;
            u8::from_str_radix(hex, 16).ok()
        });
        match (b, escaped) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

/// The decoded value of the first `name` parameter in `query` (or a form body).
pub(crate) fn find<'a>(query: &'a str, name: &str) -> Option<Cow<'a, str>> {
    query
        .split('&')
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
        .find(|(key, _)| decode(key) == name)
        .map(|(_, value)| decode(value))
}

/// `query` without any `name` parameter; the other pairs are kept verbatim and in order.
pub(crate) fn without(query: &str, name: &str) -> String {
    query
        .split('&')
        .filter(|pair| {
            let key = pair.split_once('=').map_or(*pair, |(key, _)| key);
            !pair.is_empty() && decode(key) != name
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding() {
        assert_eq!(decode("a+b%2Fc"), "a b/c");
        assert_eq!(decode("%zz%4"), "%zz%4");
        assert_eq!(decode("plain"), "plain");
        assert_eq!(decode("%E2%9C%93"), "\u{2713}");
    }

    #[test]
    fn finding_and_removing_parameters() {
        let q = "range=1h&token=abc%2Bdef&to%6Ben=x&ups=a+b";
        assert_eq!(find(q, "token").as_deref(), Some("abc+def"));
        assert_eq!(find(q, "ups").as_deref(), Some("a b"));
        assert_eq!(find(q, "missing"), None);
        assert_eq!(find("token", "token").as_deref(), Some(""));
        assert_eq!(without(q, "token"), "range=1h&ups=a+b");
        assert_eq!(without("token=x", "token"), "");
        assert_eq!(without("a=1&&b=2", "token"), "a=1&b=2");
    }
}
