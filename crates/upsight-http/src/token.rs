//! Secret tokens and constant-time matching against a set of tokens (for rotation).
//!
//! `subtle`'s slice `ct_eq` returns early when the lengths differ, which would leak a token's
//! length. We avoid that without a hash crate: every token is stored zero-padded to
//! [`MAX_TOKEN_LEN`] bytes next to its length, the presented value is padded the same way, and
//! the comparison covers all `MAX_TOKEN_LEN` bytes plus the length. The work is therefore the same
//! for every token content and length. A presented value longer than `MAX_TOKEN_LEN` is rejected
//! before any comparison; that depends only on the attacker's own input, never on a secret.

use std::fmt;
use std::str::FromStr;

use subtle::{Choice, ConstantTimeEq};

/// Shortest accepted token, in bytes (design §9: at least 32 characters).
pub const MIN_TOKEN_LEN: usize = 32;

/// Longest accepted token, in bytes; also the padded width of every comparison (a multiple of
/// 8: the comparison goes a word at a time).
pub const MAX_TOKEN_LEN: usize = 512;
const _: () = assert!(MAX_TOKEN_LEN.is_multiple_of(8));

/// Why a token or token list was refused. Never contains the secret itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Shorter than [`MIN_TOKEN_LEN`].
    #[error("token is {len} characters long, at least {min} are required")]
    TooShort {
        /// Length of the refused token.
        len: usize,
        /// The minimum.
        min: usize,
    },
    /// Longer than [`MAX_TOKEN_LEN`].
    #[error("token is {len} characters long, at most {max} are allowed")]
    TooLong {
        /// Length of the refused token.
        len: usize,
        /// The maximum.
        max: usize,
    },
    /// Contains a byte outside printable ASCII (`!`..=`~`), e.g. a space or a newline.
    #[error("token has a character outside printable ASCII at position {position}")]
    InvalidCharacter {
        /// Zero-based byte position of the first bad character.
        position: usize,
    },
    /// A token list with no token in it.
    #[error("token list is empty")]
    EmptySet,
}

/// A secret token. Its `Debug` prints `<redacted>`; there is no accessor for the secret.
#[derive(Clone)]
pub struct Token {
    padded: Box<[u8; MAX_TOKEN_LEN]>,
    len: u64,
}

impl Token {
    /// Checks the length ([`MIN_TOKEN_LEN`]..=[`MAX_TOKEN_LEN`]) and the alphabet (printable
    /// ASCII without spaces, so it survives an `Authorization` header and a query string).
    pub fn try_new(secret: &str) -> Result<Self, TokenError> {
        let bytes = secret.as_bytes();
        if let Some(position) = bytes.iter().position(|b| !b.is_ascii_graphic()) {
            return Err(TokenError::InvalidCharacter { position });
        }
        if bytes.len() < MIN_TOKEN_LEN {
            return Err(TokenError::TooShort {
                len: bytes.len(),
                min: MIN_TOKEN_LEN,
            });
        }
        let padded = pad(bytes).ok_or(TokenError::TooLong {
            len: bytes.len(),
            max: MAX_TOKEN_LEN,
        })?;
        Ok(Self {
            padded: Box::new(padded),
            len: bytes.len() as u64,
        })
    }

    /// Constant-time comparison against an already padded presented value: the XOR of every
    /// 8-byte word pair and of the lengths, OR-ed together without a branch, then one
    /// constant-time test for zero. The same work for every content and length, at a word a
    /// step rather than a byte.
    fn ct_eq_padded(&self, padded: &[u8; MAX_TOKEN_LEN], len: u64) -> Choice {
        let (ours, _) = self.padded.as_chunks::<8>();
        let (theirs, _) = padded.as_chunks::<8>();
        let diff = ours.iter().zip(theirs).fold(self.len ^ len, |acc, (a, b)| {
            acc | (u64::from_ne_bytes(*a) ^ u64::from_ne_bytes(*b))
        });
        std::hint::black_box(diff).ct_eq(&0)
    }
}

impl FromStr for Token {
    type Err = TokenError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::try_new(s)
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Zero-pads `bytes` to the fixed comparison width; `None` if it is too long.
fn pad(bytes: &[u8]) -> Option<[u8; MAX_TOKEN_LEN]> {
    let mut padded = [0u8; MAX_TOKEN_LEN];
    padded.get_mut(..bytes.len())?.copy_from_slice(bytes);
    Some(padded)
}

/// One or more tokens that are all valid at once, so a token can be rotated without downtime.
#[derive(Clone)]
pub struct TokenSet {
    tokens: Vec<Token>,
}

impl TokenSet {
    /// A set of at least one token.
    pub fn try_new(tokens: Vec<Token>) -> Result<Self, TokenError> {
        if tokens.is_empty() {
            return Err(TokenError::EmptySet);
        }
        Ok(Self { tokens })
    }

    /// Parses a comma-separated list (`UPSIGHT_VIEWER_TOKEN=new,old`). Surrounding whitespace
    /// and empty entries (a trailing comma) are ignored; every other entry must be a valid token.
    pub fn parse_list(list: &str) -> Result<Self, TokenError> {
        let tokens = list
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(Token::try_new)
            .collect::<Result<Vec<_>, _>>()?;
        Self::try_new(tokens)
    }

    /// Number of tokens in the set.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Always `false`: a set holds at least one token. Present for API symmetry with `len`.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// Whether `presented` equals any token of the set.
    ///
    /// Every token is compared, in constant time over the padded width, and the results are
    /// combined with a constant-time OR: which token matched (or whether the first did) does
    /// not change the work done.
    pub fn matches(&self, presented: &[u8]) -> bool {
        self.compare(presented, |_| {}).into()
    }

    /// The comparison behind [`TokenSet::matches`]; `on_visit` sees the index of every token
    /// compared, which lets a test assert that no token is skipped.
    fn compare(&self, presented: &[u8], mut on_visit: impl FnMut(usize)) -> Choice {
        let Some(padded) = pad(presented) else {
            return Choice::from(0);
        };
        let len = presented.len() as u64;
        let mut any = Choice::from(0);
        for (index, token) in self.tokens.iter().enumerate() {
            on_visit(index);
            any |= token.ct_eq_padded(&padded, len);
        }
        any
    }
}

impl From<Token> for TokenSet {
    fn from(token: Token) -> Self {
        Self {
            tokens: vec![token],
        }
    }
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("len", &self.tokens.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    const C: &str = "cccccccccccccccccccccccccccccccccccc";

    fn set(list: &str) -> TokenSet {
        TokenSet::parse_list(list).unwrap()
    }

    #[test]
    fn length_and_alphabet_are_checked() {
        assert_eq!(
            Token::try_new("short").unwrap_err(),
            TokenError::TooShort { len: 5, min: 32 }
        );
        let long = "x".repeat(MAX_TOKEN_LEN + 1);
        assert_eq!(
            Token::try_new(&long).unwrap_err(),
            TokenError::TooLong { len: 513, max: 512 }
        );
        let newline = format!("{A}\n");
        assert_eq!(
            Token::try_new(&newline).unwrap_err(),
            TokenError::InvalidCharacter { position: 36 }
        );
        assert!(Token::try_new(&"x".repeat(MAX_TOKEN_LEN)).is_ok());
        assert!(Token::try_new(&"x".repeat(MIN_TOKEN_LEN)).is_ok());
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let token = Token::try_new(A).unwrap();
        assert_eq!(format!("{token:?}"), "<redacted>");
        let shown = format!("{:?}", TokenSet::from(token));
        assert!(
            !shown.contains('a'.to_string().repeat(8).as_str()),
            "{shown}"
        );
    }

    #[test]
    fn every_token_of_the_set_matches_and_nothing_else() {
        let tokens = set(&format!("{A}, {B},"));
        assert_eq!(tokens.len(), 2);
        assert!(tokens.matches(A.as_bytes()));
        assert!(tokens.matches(B.as_bytes()));
        assert!(!tokens.matches(C.as_bytes()));
        assert!(!tokens.matches(b""));
        assert!(
            !tokens.matches(&A.as_bytes()[..35]),
            "a prefix is not a match"
        );
        let padded = format!("{A}\0");
        assert!(
            !tokens.matches(padded.as_bytes()),
            "zero padding is not a match"
        );
        assert!(!tokens.matches(&[b'a'; MAX_TOKEN_LEN + 1]));
    }

    #[test]
    fn comparison_visits_every_token_even_when_the_first_matches() {
        let tokens = set(&format!("{A},{B},{C}"));
        for presented in [A, B, C, "nope"] {
            let mut visited = Vec::new();
            let _ = tokens.compare(presented.as_bytes(), |i| visited.push(i));
            assert_eq!(visited, [0, 1, 2], "presented {presented}");
        }
    }

    #[test]
    fn empty_lists_are_refused() {
        assert_eq!(
            TokenSet::parse_list(" , ").unwrap_err(),
            TokenError::EmptySet
        );
        assert_eq!(
            TokenSet::try_new(Vec::new()).unwrap_err(),
            TokenError::EmptySet
        );
        assert_eq!(
            TokenSet::parse_list(&format!("{A},tooshort")).unwrap_err(),
            TokenError::TooShort { len: 8, min: 32 }
        );
    }
}
