//! Lever's webhook signature: lowercase hex HMAC-SHA256, keyed with the signature token exactly
//! as pasted, over `token + triggeredAt` (decimal, no separator). Compared in constant time.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

pub fn sign(signature_token: &str, token: &str, triggered_at: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(signature_token.as_bytes())
        .expect("HMAC takes any key length");
    mac.update(token.as_bytes());
    mac.update(triggered_at.to_string().as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

pub fn is_valid(signature_token: &str, token: &str, triggered_at: i64, signature: &str) -> bool {
    let expected = sign(signature_token, token, triggered_at);
    expected
        .as_bytes()
        .ct_eq(signature.trim().to_ascii_lowercase().as_bytes())
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    // The vector from lever-api.md, computed with Python's hmac.
    const TOKEN: &str = "be58f711f349c7780e4579cd7c63341ac6f881e4dccc3154";
    const EXPECTED: &str = "67237316b71be6f4595c3313d347b09353b22d7cbab3726261b73d409acd8fd7";

    #[test]
    fn matches_the_published_vector() {
        assert_eq!(sign("test-signature-token", TOKEN, 1431454330072), EXPECTED);
        assert!(is_valid(
            "test-signature-token",
            TOKEN,
            1431454330072,
            EXPECTED
        ));
        assert!(is_valid(
            "test-signature-token",
            TOKEN,
            1431454330072,
            &EXPECTED.to_uppercase()
        ));
    }

    #[test]
    fn any_change_breaks_it() {
        assert!(!is_valid(
            "test-signature-token ",
            TOKEN,
            1431454330072,
            EXPECTED
        ));
        assert!(!is_valid(
            "test-signature-token",
            TOKEN,
            1431454330073,
            EXPECTED
        ));
        assert!(!is_valid(
            "test-signature-token",
            &TOKEN[1..],
            1431454330072,
            EXPECTED
        ));
        assert!(!is_valid(
            "test-signature-token",
            TOKEN,
            1431454330072,
            &EXPECTED[..63]
        ));
        assert!(!is_valid("test-signature-token", TOKEN, 1431454330072, ""));
    }
}
