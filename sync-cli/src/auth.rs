//! How the API's credentials are sent (`--auth`), and every secret they hold.
//!
//! | `--auth` | header sent |
//! | --- | --- |
//! | `bearer` (default) | `Authorization: Bearer <token>` |
//! | `header` | `<--auth-header NAME>: <token>`, the token as given |
//! | `basic` | `Authorization: Basic base64(<user>:<token>)` |
//!
//! The token comes from `STOCK_API_TOKEN` and the user from
//! `STOCK_API_USER`, never from an argument (it would show in `ps`). The
//! header value is marked sensitive. The token, the user and the base64
//! string that carries them are all redacted from what is printed
//! ([`Secrets`]).

use std::borrow::Cow;
use std::ffi::OsString;
use std::fmt;

use base64::Engine as _;
use reqwest::header::{self, HeaderName, HeaderValue};

use crate::error::Error;
use crate::token::Secrets;

/// Environment variable holding the API token.
pub const TOKEN_ENV: &str = "STOCK_API_TOKEN";

/// Environment variable holding the user of `--auth basic`.
pub const USER_ENV: &str = "STOCK_API_USER";

/// Environment variable of `--auth`.
pub const AUTH_ENV: &str = "STOCK_API_AUTH";

/// Environment variable of `--auth-header`.
pub const AUTH_HEADER_ENV: &str = "STOCK_API_AUTH_HEADER";

/// Headers that `--auth-header` may not name: sync-cli sets them itself, or
/// they belong to the connection, not to the API.
const RESERVED_HEADERS: [&str; 12] = [
    "accept",
    "accept-encoding",
    "connection",
    "content-length",
    "host",
    "keep-alive",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "user-agent",
];

/// How the token is sent (`--auth`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthScheme {
    /// Authorization: Bearer <token>
    #[default]
    Bearer,
    /// <--auth-header NAME>: <token>, the token as given
    Header,
    /// Authorization: Basic base64(<user>:<token>)
    Basic,
}

impl AuthScheme {
    /// The name on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthScheme::Bearer => "bearer",
            AuthScheme::Header => "header",
            AuthScheme::Basic => "basic",
        }
    }
}

/// `--auth-header NAME`: a valid HTTP header name that sync-cli does not set
/// itself. Used as a clap value parser.
pub fn parse_header_name(value: &str) -> Result<HeaderName, String> {
    let name = HeaderName::from_bytes(value.as_bytes()).map_err(|_| {
        format!(
            "{value:?} is not a valid HTTP header name (letters, digits and !#$%&'*+-.^_`|~ \
             only, e.g. X-Shopify-Access-Token)"
        )
    })?;
    if RESERVED_HEADERS.contains(&name.as_str()) {
        return Err(format!(
            "{value:?} cannot carry the token: sync-cli sets that header itself, or it belongs to \
             the connection"
        ));
    }
    Ok(name)
}

/// The credentials of a run: the header that carries them (none without a
/// token, unless `--auth basic`), and the secrets to keep out of everything
/// printed. Its `Debug` output never shows a secret.
#[derive(Clone)]
pub struct Credentials {
    header: Option<(HeaderName, HeaderValue)>,
    secrets: Secrets,
}

impl Credentials {
    /// No credentials: no header is sent, nothing to redact.
    pub fn none() -> Credentials {
        Credentials {
            header: None,
            secrets: Secrets::new([]),
        }
    }

    /// The credentials of `scheme` from the environment: the token from
    /// [`TOKEN_ENV`], the user from [`USER_ENV`].
    pub fn from_env(
        scheme: AuthScheme,
        header_name: Option<&HeaderName>,
    ) -> Result<Credentials, Error> {
        let token = env_value(TOKEN_ENV, std::env::var_os(TOKEN_ENV))?;
        let user = env_value(USER_ENV, std::env::var_os(USER_ENV))?;
        Credentials::new(scheme, header_name, token.as_deref(), user.as_deref())
    }

    /// The credentials of `scheme`. A usage error when they do not fit it:
    /// `header` without a header name, a header name or a user with another
    /// scheme than the one that uses it, `basic` without a user, a user with
    /// a `:`, or a value that cannot be sent in a header. Messages never
    /// repeat a secret.
    pub fn new(
        scheme: AuthScheme,
        header_name: Option<&HeaderName>,
        token: Option<&str>,
        user: Option<&str>,
    ) -> Result<Credentials, Error> {
        let usage = |message: &str| Err(Error::Usage(message.to_owned()));
        if header_name.is_some() && scheme != AuthScheme::Header {
            return usage(&format!(
                "--auth-header ({AUTH_HEADER_ENV}) names the header of --auth header, but --auth \
                 is {}: give --auth header, or leave --auth-header out",
                scheme.as_str()
            ));
        }
        if user.is_some() && scheme != AuthScheme::Basic {
            return usage(&format!(
                "{USER_ENV} is only used by --auth basic, but --auth is {}: give --auth basic, or \
                 unset {USER_ENV}",
                scheme.as_str()
            ));
        }
        let token = token.unwrap_or_default();
        let (header, encoded) = match scheme {
            AuthScheme::Bearer => {
                if token.is_empty() {
                    (None, None)
                } else {
                    let value = header_value(&format!("Bearer {token}"))?;
                    (Some((header::AUTHORIZATION, value)), None)
                }
            }
            AuthScheme::Header => {
                let Some(name) = header_name else {
                    return usage(&format!(
                        "--auth header needs --auth-header NAME ({AUTH_HEADER_ENV}), the header \
                         that carries the token, e.g. --auth-header X-Shopify-Access-Token"
                    ));
                };
                if token.is_empty() {
                    (None, None)
                } else {
                    (Some((name.clone(), header_value(token)?)), None)
                }
            }
            AuthScheme::Basic => {
                let Some(user) = user else {
                    return usage(&format!(
                        "--auth basic needs {USER_ENV}, the user name (an API key for some \
                         APIs); {TOKEN_ENV} is the password, and may be empty"
                    ));
                };
                if user.contains(':') {
                    return usage(&format!(
                        "{USER_ENV} contains a colon (:), which HTTP Basic authentication \
                         does not allow in a user name"
                    ));
                }
                if user.chars().any(char::is_control) {
                    return usage(&format!("{USER_ENV} contains a control character"));
                }
                if token.chars().any(char::is_control) {
                    return usage(&format!("{TOKEN_ENV} contains a control character"));
                }
                let encoded =
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{token}"));
                let value = header_value(&format!("Basic {encoded}"))?;
                (Some((header::AUTHORIZATION, value)), Some(encoded))
            }
        };
        let secrets = Secrets::new(
            [Some(token), user, encoded.as_deref()]
                .into_iter()
                .flatten(),
        );
        Ok(Credentials { header, secrets })
    }

    /// The header that carries the credentials, its value marked sensitive;
    /// `None` when none is sent.
    pub fn header(&self) -> Option<(&HeaderName, &HeaderValue)> {
        self.header.as_ref().map(|(name, value)| (name, value))
    }

    /// Every secret, to keep out of what is printed.
    pub fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    /// `text` without any piece of a secret (see [`Secrets::redact`]).
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        self.secrets.redact(text)
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.header.as_ref().map(|(name, _)| name.as_str());
        f.debug_struct("Credentials")
            .field("header", &name)
            .field("secrets", &self.secrets)
            .finish()
    }
}

/// A header value holding a secret, marked sensitive so that HTTP logging
/// never shows it.
fn header_value(text: &str) -> Result<HeaderValue, Error> {
    let mut value = HeaderValue::from_str(text).map_err(|_| {
        Error::Usage(format!(
            "{TOKEN_ENV} contains characters not allowed in an HTTP header"
        ))
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// An environment variable's value: `None` when unset or empty; a usage
/// error (which does not repeat the value) when it is not UTF-8.
fn env_value(name: &str, value: Option<OsString>) -> Result<Option<String>, Error> {
    let Some(value) = value else { return Ok(None) };
    let value = value
        .into_string()
        .map_err(|_| Error::Usage(format!("{name} is not valid UTF-8")))?;
    Ok((!value.is_empty()).then_some(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "tok-5ecret/0123456789-abcdef";
    const USER: &str = "ck_user-0123456789abcdef";

    fn name(text: &str) -> HeaderName {
        parse_header_name(text).unwrap()
    }

    fn sent(credentials: &Credentials) -> Option<(String, String)> {
        credentials.header().map(|(name, value)| {
            assert!(value.is_sensitive(), "{name} is not marked sensitive");
            (name.to_string(), value.to_str().unwrap().to_owned())
        })
    }

    fn usage_error(result: Result<Credentials, Error>) -> String {
        let err = result.unwrap_err();
        assert!(err.is_usage(), "{err:?}");
        err.to_string()
    }

    #[test]
    fn each_scheme_sends_its_header() {
        let bearer = Credentials::new(AuthScheme::Bearer, None, Some(TOKEN), None).unwrap();
        assert_eq!(
            sent(&bearer),
            Some(("authorization".into(), format!("Bearer {TOKEN}")))
        );
        let shopify = name("X-Shopify-Access-Token");
        let header =
            Credentials::new(AuthScheme::Header, Some(&shopify), Some(TOKEN), None).unwrap();
        assert_eq!(
            sent(&header),
            Some(("x-shopify-access-token".into(), TOKEN.into()))
        );
        // Frappe: the token as given, scheme word included.
        let frappe = Credentials::new(
            AuthScheme::Header,
            Some(&name("Authorization")),
            Some("token key:secret"),
            None,
        )
        .unwrap();
        assert_eq!(
            sent(&frappe),
            Some(("authorization".into(), "token key:secret".into()))
        );
        let basic = Credentials::new(AuthScheme::Basic, None, Some("secret"), Some("key")).unwrap();
        // base64("key:secret")
        assert_eq!(
            sent(&basic),
            Some(("authorization".into(), "Basic a2V5OnNlY3JldA==".into()))
        );
    }

    #[test]
    fn basic_with_an_empty_token_sends_the_user_alone() {
        // PrestaShop: the key as the user, no password.
        let basic = Credentials::new(AuthScheme::Basic, None, None, Some("KEY")).unwrap();
        // base64("KEY:")
        assert_eq!(
            sent(&basic),
            Some(("authorization".into(), "Basic S0VZOg==".into()))
        );
    }

    #[test]
    fn no_token_no_header_for_bearer_and_header() {
        assert_eq!(
            sent(&Credentials::new(AuthScheme::Bearer, None, None, None).unwrap()),
            None
        );
        let named = name("X-Api-Key");
        assert_eq!(
            sent(&Credentials::new(AuthScheme::Header, Some(&named), None, None).unwrap()),
            None
        );
        assert_eq!(sent(&Credentials::none()), None);
        assert!(Credentials::none().secrets().is_empty());
    }

    #[test]
    fn credentials_that_do_not_fit_the_scheme_are_usage_errors() {
        let named = name("X-Api-Key");
        let message = usage_error(Credentials::new(
            AuthScheme::Header,
            None,
            Some(TOKEN),
            None,
        ));
        assert!(message.contains("needs --auth-header"), "{message}");
        let message = usage_error(Credentials::new(
            AuthScheme::Bearer,
            Some(&named),
            Some(TOKEN),
            None,
        ));
        assert!(message.contains("--auth is bearer"), "{message}");
        let message = usage_error(Credentials::new(
            AuthScheme::Bearer,
            None,
            Some(TOKEN),
            Some(USER),
        ));
        assert!(message.contains("only used by --auth basic"), "{message}");
        let message = usage_error(Credentials::new(AuthScheme::Basic, None, Some(TOKEN), None));
        assert!(message.contains("needs STOCK_API_USER"), "{message}");
        let message = usage_error(Credentials::new(
            AuthScheme::Basic,
            None,
            Some(TOKEN),
            Some("us:er-5ecret"),
        ));
        assert!(message.contains("colon"), "{message}");
        assert!(!message.contains("5ecret"), "{message}");
        for (token, user) in [("a\nb-5ecret", "user"), ("pw", "us\ter-5ecret")] {
            let message = usage_error(Credentials::new(
                AuthScheme::Basic,
                None,
                Some(token),
                Some(user),
            ));
            assert!(message.contains("control character"), "{message}");
            assert!(!message.contains("5ecret"), "{message}");
        }
        let message = usage_error(Credentials::new(
            AuthScheme::Header,
            Some(&named),
            Some("a\nb-5ecret"),
            None,
        ));
        assert!(
            message.contains("not allowed in an HTTP header"),
            "{message}"
        );
        assert!(!message.contains("5ecret"), "{message}");
    }

    #[test]
    fn header_names() {
        for good in [
            "X-Shopify-Access-Token",
            "Authorization",
            "x-api-key",
            "Api_Key",
        ] {
            assert!(parse_header_name(good).is_ok(), "{good}");
        }
        for bad in ["", "X Api", "X:Api", "é", "X-Api\n", "(x)"] {
            let message = parse_header_name(bad).unwrap_err();
            assert!(
                message.contains("not a valid HTTP header name"),
                "{message}"
            );
        }
        for reserved in ["Host", "Content-Length", "User-Agent", "accept"] {
            let message = parse_header_name(reserved).unwrap_err();
            assert!(message.contains("cannot carry the token"), "{message}");
        }
    }

    #[test]
    fn every_secret_is_redacted_and_debug_shows_none() {
        let basic = Credentials::new(AuthScheme::Basic, None, Some(TOKEN), Some(USER)).unwrap();
        let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{TOKEN}"));
        for secret in [TOKEN, USER, encoded.as_str()] {
            let text = format!("echoed: {secret} and {}", secret.replace('/', "\\/"));
            let redacted = basic.redact(&text);
            assert_eq!(redacted, "echoed: <redacted> and <redacted>", "{secret}");
        }
        let debug = format!("{basic:?}");
        for secret in [TOKEN, USER, encoded.as_str()] {
            assert!(!debug.contains(secret), "{debug}");
        }
        assert!(debug.contains("authorization"), "{debug}");
    }
}
