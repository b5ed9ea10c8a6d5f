//! Event parameters: the event's `data` object and its money rules.
//!
//! Owns the shape per event type, the automap from GA4-style event data (`currency` /
//! `ecommerce.currency`, `value` / `ecommerce.value`, `items[]` / `ecommerce.items[]` →
//! `contents`), the overrides (`amount`, `amount_regular_unit`,
//! `currency`, `contents`, `plan_id`), the shape rules (no `contents` on `customer_action`,
//! `plan_id` only on `plan_enrollment`/`custom`) and the validation of what this module builds:
//! currency format, integer amounts, `content_type` on every content, a currency for every amount.
//!
//! Choices beyond what Stape's tag does (deliberate, tested below):
//! - The final currency (override, else automap) is decided first and every automapped amount is
//!   converted with it, so a `currency: "JPY"` override also fixes the exponent of `value`.
//! - An item's own currency is copied into its content only when the item has an amount and the
//!   currency differs from the event's; its price is then converted with its own exponent, and
//!   the items sum is not used as the event amount (it would add different currencies).
//! - Items with neither a price nor a `value` give no amount at all; Stape sends `amount: 0`
//!   (its edge case 1), which then fails on a missing currency or reports a zero-value sale.
//! - An item quantity that is not an integer (`1.5`) is dropped, not rounded.
//! - An automapped currency that is not an active ISO 4217 code counts as absent, at event and
//!   item level; only a configured currency that resolves to a bad code makes the event invalid
//!   (a literal one is refused at configure time).
//! - `contents` keeps at most [`MAX_CONTENTS`] items (every input is bounded); the items sum still
//!   covers every item.
//! - An empty `contents` override array counts as resolving to nothing (automap stays); a
//!   `contents` override that is not an array is reported as `ContentsNotArray`.
//! - Automapped amounts with no currency anywhere are dropped and the event is sent without
//!   them (Stape fails the whole event); the currency rules (see [`Invalid`]) then apply to
//!   configured amounts and contents, where a missing currency is a configuration mistake.

use crate::config::{EventParameters, ValueSource};
use crate::event::{lookup, trim, EventData};
use crate::event::{Map, Value};
use crate::model::currency::currency_code;
use crate::model::{DataShape, EventType};
use crate::observe::redact::Escaped;
use crate::payload::{Content, Data};
use crate::request::RequestFacts;
use crate::tag::amount::{to_exact_integer, to_minor_units};
use crate::tag::user_data::scalar_text;
use crate::tag::validate::Invalid;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Most contents sent per event.
pub const MAX_CONTENTS: usize = 100;
/// `content_type` of an automapped item without one (as Stape and Tealium do, so calls pass).
pub const DEFAULT_CONTENT_TYPE: &str = "product";

/// Builds `events[].data` for the event's type.
pub fn build_data(
    config: &EventParameters,
    event_type: &EventType,
    event: &EventData,
    request: &RequestFacts,
) -> Result<Data, Invalid> {
    let shape = event_type.data_shape();
    let o = &config.overrides;
    let resolve = |source| ValueSource::resolve_optional(source, event, request);
    let items = if config.automap {
        automap_items(event)
    } else {
        None
    };

    let currency = match resolve(&o.currency) {
        Some(value) => Some(currency_of(&value)?),
        None if config.automap => automap_currency(event, items),
        None => None,
    };

    let mut amount = None;
    let mut contents = None;
    if config.automap {
        let from_items =
            items.map(|items| automap_contents(items, &config.item_id_key, currency.as_deref()));
        amount = automap_value(event, currency.as_deref())
            .or_else(|| from_items.as_ref().and_then(|f| f.sum));
        contents = from_items
            .map(|f| f.contents)
            .filter(|list| !list.is_empty());
    }

    let mut amount_overridden = true;
    if let Some(value) = resolve(&o.amount) {
        amount =
            Some(to_exact_integer(&value).ok_or(Invalid::AmountNotInteger { field: "amount" })?);
    } else if let Some(value) = resolve(&o.amount_regular_unit) {
        amount = Some(to_minor_units(&value, currency.as_deref()).ok_or(
            Invalid::AmountNotInteger {
                field: "amount_regular_unit",
            },
        )?);
    } else {
        amount_overridden = false;
    }

    let mut contents_overridden = false;
    if shape == DataShape::CustomerAction {
        // Checked before resolving the override: a contents override that only matters to
        // other event types must not invalidate this one.
        if contents.is_some() || o.contents.is_some() {
            log::debug!("event_parameters: contents are not allowed on customer_action; dropped");
        }
        contents = None;
    } else if let Some(value) = resolve(&o.contents) {
        if let Some(manual) = manual_contents(&value)? {
            contents = Some(manual);
            contents_overridden = true;
        }
    }

    let plan_id = resolve(&o.plan_id)
        .as_deref()
        .and_then(scalar_text)
        .map(Cow::into_owned);
    let plan_id = match shape {
        DataShape::PlanEnrollment | DataShape::Custom => plan_id,
        DataShape::Contents | DataShape::CustomerAction => {
            if plan_id.is_some() {
                log::debug!(
                    "event_parameters: plan_id is only sent on plan_enrollment and custom; dropped"
                );
            }
            None
        }
    };

    if currency.is_none() {
        // Automapped amounts without any currency cannot be interpreted; sending the event
        // without them keeps the conversion, where Stape would drop the whole event. Amounts a
        // user configured explicitly are still held to the rule below.
        if !amount_overridden && amount.take().is_some() {
            log::debug!("event_parameters: no currency known; automapped amount dropped");
        }
        if !contents_overridden {
            for content in contents.iter_mut().flatten() {
                if content.currency.is_none() && content.amount.take().is_some() {
                    log::debug!("event_parameters: no currency known; item amount dropped");
                }
            }
        }
    }
    if amount.is_some() && currency.is_none() {
        return Err(Invalid::CurrencyMissingForAmount);
    }
    if currency.is_none() {
        if let Some(index) = contents
            .iter()
            .flatten()
            .position(|c| c.amount.is_some() && c.currency.is_none())
        {
            return Err(Invalid::ItemCurrencyMissing { index });
        }
    }

    Ok(Data {
        shape,
        amount,
        currency,
        contents,
        plan_id,
    })
}

/// `items` when it is a non-empty array, else `ecommerce.items`.
fn automap_items<'a>(event: &'a EventData<'a>) -> Option<&'a Vec<Value<'a>>> {
    non_empty_array(event.get("items"))
        .or_else(|| non_empty_array(lookup(event, "ecommerce.items")))
}

fn non_empty_array<'a>(value: Option<&'a Value<'a>>) -> Option<&'a Vec<Value<'a>>> {
    value.and_then(Value::as_array).filter(|a| !a.is_empty())
}

/// `currency`, else the data layer's `ecommerce.currency`, else `items[0].currency`. The first
/// one present decides; one that is not an active ISO 4217 code (`BTC`, `EURO`, `US$`) counts
/// as absent, so the automapped amounts are dropped and the event is still sent, as with no
/// currency at all.
fn automap_currency(event: &EventData, items: Option<&Vec<Value>>) -> Option<String> {
    let code = event
        .get("currency")
        .and_then(scalar_text)
        .or_else(|| lookup(event, "ecommerce.currency").and_then(scalar_text))
        .or_else(|| {
            items
                .and_then(|list| list.first())
                .and_then(|item| item.get("currency"))
                .and_then(scalar_text)
        })?;
    let code = currency_code(&code);
    if code.is_none() {
        log::debug!("event_parameters: currency is not an active ISO 4217 code; treated as absent");
    }
    code
}

fn currency_of(value: &Value) -> Result<String, Invalid> {
    scalar_text(value)
        .and_then(|raw| currency_code(raw.as_ref()))
        .ok_or(Invalid::CurrencyInvalid)
}

/// Null and blank strings count as absent, everywhere in event data.
fn present(value: &&Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !trim(s).is_empty(),
        _ => true,
    }
}

/// `value` in minor units, else the data layer's `ecommerce.value`: the first of them that is
/// present and numeric (a non-numeric one is passed over, as the items sum is then).
fn automap_value(event: &EventData, currency: Option<&str>) -> Option<i64> {
    [event.get("value"), lookup(event, "ecommerce.value")]
        .into_iter()
        .flatten()
        .filter(present)
        .find_map(|value| {
            let amount = to_minor_units(value, currency);
            if amount.is_none() {
                log::debug!("event_parameters: value is not a number; next source used if any");
            }
            amount
        })
}

struct FromItems {
    contents: Vec<Content>,
    /// Σ amount × (quantity or 1) over items with an amount; `None` when no item has one, the
    /// items carry different currencies, or the sum overflows.
    sum: Option<i64>,
}

fn automap_contents(items: &[Value], id_key: &str, currency: Option<&str>) -> FromItems {
    let mut contents = Vec::with_capacity(items.len().min(MAX_CONTENTS));
    let mut sum: Option<i64> = None;
    let mut summable = true;
    for item in items {
        let Value::Object(item) = item else {
            log::debug!("event_parameters: an item that is not an object was skipped");
            continue;
        };
        let content = automap_content(item, id_key, currency);
        if let Some(amount) = content.amount {
            if content.currency.is_some() {
                summable = false;
            }
            // Quantity 0 or missing counts as 1, as in Stape.
            let times = content.quantity.filter(|q| *q != 0).unwrap_or(1);
            match amount
                .checked_mul(times)
                .and_then(|line| sum.unwrap_or(0).checked_add(line))
            {
                Some(total) => sum = Some(total),
                None => summable = false,
            }
        }
        if contents.len() < MAX_CONTENTS {
            contents.push(content);
        }
    }
    if items.len() > MAX_CONTENTS {
        log::debug!("event_parameters: more than {MAX_CONTENTS} items; contents truncated");
    }
    if sum.is_some() && !summable {
        log::debug!(
            "event_parameters: items in several currencies or too large; no amount from items"
        );
        sum = None;
    }
    FromItems { contents, sum }
}

/// The item keys the automap reads, gathered in one pass over the item: a map search per key
/// costs a handful of string comparisons each, for every item of every event.
#[derive(Default)]
struct ItemFields<'a> {
    id: Option<&'a Value<'a>>,
    name: Option<&'a Value<'a>>,
    content_type: Option<&'a Value<'a>>,
    quantity: Option<&'a Value<'a>>,
    price: Option<&'a Value<'a>>,
    currency: Option<&'a Value<'a>>,
}

impl<'a> ItemFields<'a> {
    fn read(item: &'a Map<'a>, id_key: &str) -> ItemFields<'a> {
        let mut fields = ItemFields::default();
        for (key, value) in item {
            // Checked on its own: the configured id key may be any key, even one read below.
            if key == id_key {
                fields.id = Some(value);
            }
            match key {
                "item_name" => fields.name = Some(value),
                "content_type" => fields.content_type = Some(value),
                "quantity" => fields.quantity = Some(value),
                "price" => fields.price = Some(value),
                "currency" => fields.currency = Some(value),
                _ => {}
            }
        }
        fields
    }
}

fn automap_content(item: &Map<'_>, id_key: &str, currency: Option<&str>) -> Content {
    let fields = ItemFields::read(item, id_key);
    let item_currency = fields
        .currency
        .and_then(scalar_text)
        .and_then(|raw| {
            let code = currency_code(&raw);
            if code.is_none() {
                log::debug!("event_parameters: item currency is not an ISO 4217 code; ignored");
            }
            code
        })
        .filter(|code| Some(code.as_str()) != currency);
    let quantity = fields.quantity.filter(present).and_then(|v| {
        let q = to_exact_integer(v);
        if q.is_none() {
            log::debug!("event_parameters: item quantity is not an integer; dropped");
        }
        q
    });
    let amount = fields.price.filter(present).and_then(|v| {
        let a = to_minor_units(v, item_currency.as_deref().or(currency));
        if a.is_none() {
            log::debug!("event_parameters: item price is not a number; dropped");
        }
        a
    });
    let text = |value: Option<&Value>| value.and_then(scalar_text).map(Cow::into_owned);
    Content {
        id: text(fields.id),
        name: text(fields.name),
        content_type: match fields.content_type {
            Some(Value::String(s)) if !s.trim().is_empty() => s.to_string(),
            _ => DEFAULT_CONTENT_TYPE.to_owned(),
        },
        quantity,
        // The item's own currency only matters for its amount.
        currency: item_currency.filter(|_| amount.is_some()),
        amount,
        group_id: None,
        variant_dict: None,
    }
}

/// A `contents` override, converted field by field; `Ok(None)` for an empty array.
fn manual_contents(value: &Value) -> Result<Option<Vec<Content>>, Invalid> {
    let Value::Array(list) = value else {
        return Err(Invalid::ContentsNotArray);
    };
    if list.is_empty() {
        return Ok(None);
    }
    if list.len() > MAX_CONTENTS {
        log::debug!("event_parameters: more than {MAX_CONTENTS} contents; truncated");
    }
    list.iter()
        .take(MAX_CONTENTS)
        .enumerate()
        .map(|(index, item)| manual_content(index, item))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// `variant_dict` (see [`crate::model::variant_dict`]) for the content at `index`.
pub fn variant_dict(index: usize, value: &Value) -> Result<BTreeMap<String, String>, Invalid> {
    crate::model::variant_dict(value).ok_or(Invalid::VariantDictNotStrings { index })
}

fn manual_content(index: usize, value: &Value) -> Result<Content, Invalid> {
    let Value::Object(map) = value else {
        return Err(Invalid::ContentNotObject { index });
    };
    let content_type = match map.get("content_type") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.to_string(),
        _ => return Err(Invalid::ContentTypeMissing { index }),
    };
    let mut content = Content {
        id: None,
        name: None,
        content_type,
        quantity: None,
        amount: None,
        currency: None,
        group_id: None,
        variant_dict: None,
    };
    for (key, v) in map.iter().filter(|(_, v)| !v.is_null()) {
        let text = || {
            let t = scalar_text(v).map(Cow::into_owned);
            if t.is_none() {
                log::debug!(
                    "event_parameters: contents[{index}].{} is not text; dropped",
                    Escaped(key)
                );
            }
            t
        };
        match key {
            "content_type" => {}
            "id" => content.id = text(),
            "name" => content.name = text(),
            "group_id" => content.group_id = text(),
            "quantity" => {
                content.quantity =
                    Some(to_exact_integer(v).ok_or(Invalid::QuantityNotInteger { index })?)
            }
            "amount" => {
                content.amount = Some(to_exact_integer(v).ok_or(Invalid::AmountNotInteger {
                    field: "contents.amount",
                })?)
            }
            "currency" => content.currency = Some(currency_of(v)?),
            "variant_dict" => content.variant_dict = Some(variant_dict(index, v)?),
            other => log::debug!(
                "event_parameters: contents[{index}].{} is unknown; dropped",
                Escaped(other)
            ),
        }
    }
    Ok(content)
}

#[cfg(test)]
mod tests;
