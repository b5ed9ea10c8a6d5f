//! What the filter fills into each event: the `server_event_data`, `user_data` and
//! `event_parameters` sections, each an automap switch plus per-field overrides. Every override is
//! parsed into a [`ValueSource`] here, and a literal one is checked against what its field takes
//! (a scalar, an integer, an absolute http(s) URL, an active ISO 4217 currency, content items), so
//! a bad value is refused at configure time instead of being dropped from every event.

use super::raw::{RawEventParameters, RawServerEventData, RawUserData};
use super::{ConfigError, ValueSource};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServerOverrides {
    pub timestamp_ms: Option<ValueSource>,
    pub id: Option<ValueSource>,
    pub oppref: Option<ValueSource>,
    pub source_url: Option<ValueSource>,
}

/// Where each event's `opt_out` comes from (`server_event_data.opt_out`).
#[derive(Debug, Clone, PartialEq)]
pub enum OptOut {
    /// The same value on every event.
    Fixed(bool),
    /// `true` when the hit says the user declined personalised ads (see `tag::opt_out`),
    /// otherwise not sent.
    FromHit,
    /// A `{{…}}` reference read per event as a boolean; not sent when it finds none.
    Reference(ValueSource),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServerEventData {
    pub automap: bool,
    /// `None`: `opt_out` is never sent.
    pub opt_out: Option<OptOut>,
    pub generate_missing_id: bool,
    pub overrides: ServerOverrides,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct UserOverrides {
    pub email: Option<ValueSource>,
    pub phone: Option<ValueSource>,
    pub first_name: Option<ValueSource>,
    pub last_name: Option<ValueSource>,
    pub external_id: Option<ValueSource>,
    pub external_id_sha256: Option<ValueSource>,
    pub city: Option<ValueSource>,
    pub region: Option<ValueSource>,
    pub postal_code: Option<ValueSource>,
    pub country: Option<ValueSource>,
    pub ip_address: Option<ValueSource>,
    pub user_agent: Option<ValueSource>,
    pub obref: Option<ValueSource>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UserData {
    pub automap: bool,
    pub overrides: UserOverrides,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParamOverrides {
    pub amount: Option<ValueSource>,
    pub amount_regular_unit: Option<ValueSource>,
    pub currency: Option<ValueSource>,
    pub contents: Option<ValueSource>,
    pub plan_id: Option<ValueSource>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EventParameters {
    pub automap: bool,
    pub item_id_key: String,
    pub overrides: ParamOverrides,
}

/// What a literal override must look like, checked at configure time.
#[derive(Clone, Copy)]
enum Expect {
    /// A string or a number (ids, hashes, geo, …).
    Scalar,
    /// A non-negative integer (timestamp, minor-unit amount).
    Integer,
    /// A number or a numeric string (amount in regular units).
    Number,
    /// An array of objects (contents).
    ObjectArray,
}

fn override_value(
    field: &str,
    raw: Option<Value>,
    expect: Expect,
) -> Result<Option<ValueSource>, ConfigError> {
    let Some(raw) = raw else { return Ok(None) };
    let source = ValueSource::parse(raw).map_err(|reason| ConfigError::new(field, reason))?;
    if let Some(literal) = source.literal() {
        let ok = match expect {
            Expect::Scalar => {
                matches!(literal, crate::event::Value::String(s) if !s.is_empty())
                    || literal.is_number()
            }
            Expect::Integer => literal.is_u64(),
            Expect::Number => {
                literal.is_number()
                    || literal
                        .as_str()
                        .is_some_and(|s| s.trim().parse::<f64>().is_ok_and(f64::is_finite))
            }
            Expect::ObjectArray => literal
                .as_array()
                .is_some_and(|a| a.iter().all(crate::event::Value::is_object)),
        };
        if !ok {
            let wanted = match expect {
                Expect::Scalar => "a non-empty string or a number",
                Expect::Integer => "a non-negative integer",
                Expect::Number => "a number",
                Expect::ObjectArray => "an array of objects",
            };
            return Err(ConfigError::new(
                field,
                format!("literal must be {wanted} or a {{{{…}}}} reference"),
            ));
        }
    }
    Ok(Some(source))
}

/// The keyword of [`OptOut::FromHit`].
pub const OPT_OUT_FROM_HIT: &str = "from_hit";

fn opt_out(raw: Option<Value>) -> Result<Option<OptOut>, ConfigError> {
    let field = "server_event_data.opt_out";
    let wrong = || {
        ConfigError::new(
            field,
            format!(
                "must be true, false, null, \"{OPT_OUT_FROM_HIT}\" or a {{{{…}}}} reference such as \"{{{{event.opt_out}}}}\""
            ),
        )
    };
    match raw {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(OptOut::Fixed(b))),
        Some(Value::String(s)) if s.trim() == OPT_OUT_FROM_HIT => Ok(Some(OptOut::FromHit)),
        Some(value @ Value::String(_)) => {
            match ValueSource::parse(value).map_err(|reason| ConfigError::new(field, reason))? {
                ValueSource::Literal(_) => Err(wrong()),
                source => Ok(Some(OptOut::Reference(source))),
            }
        }
        Some(_) => Err(wrong()),
    }
}

pub(super) fn server_event_data(raw: RawServerEventData) -> Result<ServerEventData, ConfigError> {
    let o = raw.overrides;
    let f = |k: &str| format!("server_event_data.overrides.{k}");
    let source_url = override_value(&f("source_url"), o.source_url, Expect::Scalar)?;
    if let Some(crate::event::Value::String(url)) =
        source_url.as_ref().and_then(ValueSource::literal)
    {
        if crate::model::page_url::source_url(url).is_none() {
            return Err(ConfigError::new(
                f("source_url"),
                format!("{url:?} must be an absolute http(s) URL with a host and no whitespace, e.g. \"https://shop.example.com/\""),
            ));
        }
    }
    Ok(ServerEventData {
        automap: raw.automap,
        opt_out: opt_out(raw.opt_out)?,
        generate_missing_id: raw.generate_missing_id,
        overrides: ServerOverrides {
            timestamp_ms: override_value(&f("timestamp_ms"), o.timestamp_ms, Expect::Integer)?,
            id: override_value(&f("id"), o.id, Expect::Scalar)?,
            oppref: override_value(&f("oppref"), o.oppref, Expect::Scalar)?,
            source_url,
        },
    })
}

pub(super) fn user_data(raw: RawUserData) -> Result<UserData, ConfigError> {
    let o = raw.overrides;
    let s = |k: &str, v: Option<Value>| {
        override_value(&format!("user_data.overrides.{k}"), v, Expect::Scalar)
    };
    Ok(UserData {
        automap: raw.automap,
        overrides: UserOverrides {
            email: s("email", o.email)?,
            phone: s("phone", o.phone)?,
            first_name: s("first_name", o.first_name)?,
            last_name: s("last_name", o.last_name)?,
            external_id: s("external_id", o.external_id)?,
            external_id_sha256: s("external_id_sha256", o.external_id_sha256)?,
            city: s("city", o.city)?,
            region: s("region", o.region)?,
            postal_code: s("postal_code", o.postal_code)?,
            country: s("country", o.country)?,
            ip_address: s("ip_address", o.ip_address)?,
            user_agent: s("user_agent", o.user_agent)?,
            obref: s("obref", o.obref)?,
        },
    })
}

pub(super) fn event_parameters(raw: RawEventParameters) -> Result<EventParameters, ConfigError> {
    let o = raw.overrides;
    let f = |k: &str| format!("event_parameters.overrides.{k}");
    let item_id_key = raw.item_id_key.trim().to_owned();
    if item_id_key.is_empty() {
        return Err(ConfigError::new(
            "event_parameters.item_id_key",
            "must not be empty",
        ));
    }
    let currency = override_value(&f("currency"), o.currency, Expect::Scalar)?;
    if let Some(literal) = currency.as_ref().and_then(ValueSource::literal) {
        let code = literal
            .as_str()
            .and_then(crate::model::currency::currency_code);
        if code.is_none() {
            return Err(ConfigError::new(
                f("currency"),
                format!("{literal} is not an active ISO 4217 code such as \"USD\" or \"EUR\""),
            ));
        }
    }
    let contents = override_value(&f("contents"), o.contents, Expect::ObjectArray)?;
    if let Some(crate::event::Value::Array(items)) =
        contents.as_ref().and_then(ValueSource::literal)
    {
        for (i, item) in items.iter().enumerate() {
            if let Some(dict) = item.get("variant_dict") {
                if crate::model::variant_dict(dict).is_none() {
                    return Err(ConfigError::new(
                        format!("{}[{i}].variant_dict", f("contents")),
                        "must be an object of string values, e.g. {\"size\": \"m\"}",
                    ));
                }
            }
        }
    }
    Ok(EventParameters {
        automap: raw.automap,
        item_id_key,
        overrides: ParamOverrides {
            amount: override_value(&f("amount"), o.amount, Expect::Integer)?,
            amount_regular_unit: override_value(
                &f("amount_regular_unit"),
                o.amount_regular_unit,
                Expect::Number,
            )?,
            currency,
            contents,
            plan_id: override_value(&f("plan_id"), o.plan_id, Expect::Scalar)?,
        },
    })
}
