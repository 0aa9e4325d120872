//! Query strings read the way a Node/Express server like Lever's reads them: `+` is a space,
//! `%XX` a byte, and a parameter may repeat.

/// `a=1&b=x+y&b=%2B` -> [("a", "1"), ("b", "x y"), ("b", "+")].
pub fn parse(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (form_decode(name), form_decode(value))
        })
        .collect()
}

/// Every value of `name`.
pub fn values<'a>(query: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    query
        .iter()
        .filter(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

/// application/x-www-form-urlencoded decoding: `+` is a space.
pub fn form_decode(text: &str) -> String {
    decode(text, true)
}

/// Percent-decoding only (`+` stays `+`).
pub fn percent_decode(text: &str) -> String {
    decode(text, false)
}

fn decode(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' if plus_is_space => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match (hex_value(bytes[i + 1]), hex_value(bytes[i + 2])) {
                    (Some(high), Some(low)) => {
                        out.push(high << 4 | low);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// Encodes everything but RFC 3986's unreserved characters.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_like_a_form() {
        assert_eq!(
            parse("a=1&b=x+y&b=%2B%3d&&c&d=%zz%4"),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "x y".into()),
                ("b".into(), "+=".into()),
                ("c".into(), "".into()),
                ("d".into(), "%zz%4".into()),
            ]
        );
        assert_eq!(percent_decode("a+b%2Bc%5B"), "a+b+c[");
        assert_eq!(percent_encode("a b/+=~"), "a%20b%2F%2B%3D~");
        assert_eq!(form_decode(&percent_encode("%5B+/=\"")), "%5B+/=\"");
    }
}
