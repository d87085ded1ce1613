//! Request handlers. Each one is small; faults are answered by `fault_response`.

use std::borrow::Cow;
use std::convert::Infallible;
use std::time::{Duration, Instant};

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::{StreamExt, stream};
use serde::Serialize;
use serde_json::{Value, json};

use crate::clock::{http_date, rfc3339};
use crate::data::{Product, parse_stock};
use crate::fault::Fault;
use crate::listing::{ListingQuery, cursor_after};
use crate::locations::{Location, decimal_sum};
use crate::quantity::json_kind;
use crate::rate::Quota;
use crate::state::{AppState, Change, Stock};

/// How long the `slow` fault waits before answering.
pub const SLOW_DELAY: Duration = Duration::from_secs(600);
/// Size of the `huge_body` answer.
pub const HUGE_BODY_BYTES: usize = 64 * 1024 * 1024;
/// Pause between two chunks of the `endless_body` answer.
pub const ENDLESS_CHUNK_INTERVAL: Duration = Duration::from_millis(100);

const PAD_LEN: usize = 64 * 1024;
static PAD: [u8; PAD_LEN] = [b'x'; PAD_LEN];

/// A JSON error answer: `{"error": message}`.
fn json_error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

/// `GET /health`
pub async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /api/stock?limit=500&cursor=C&updated_since=T&ids=A,B`: one page of
/// the listing, `{"items": [...], "next_cursor": "..." | null}`.
pub async fn list(
    State(state): State<AppState>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, BadRequest> {
    let query = listing_query(query)?;
    let page = state.page_of(
        query.after.as_deref(),
        query.since,
        query.ids.as_deref(),
        query.limit,
    );
    if let Some(failure) = failing_page(page.items.iter().map(|p| (p.product_id.as_str(), p.fault)))
    {
        return Ok(failure);
    }
    let next_cursor = page
        .more
        .then(|| page.items.last().map(|p| cursor_after(&p.product_id)))
        .flatten();
    let items: Vec<Record> = page.items.iter().map(listed).collect();
    Ok(Json(Listing { items, next_cursor }).into_response())
}

/// `GET /api/levels?limit=500&cursor=C&updated_since=T&ids=A,B`: one page of
/// the levels listing, one record per product and location (as Shopify's
/// inventory levels), `{"items": [{"product_id", "location", "quantity",
/// "updated_at"}], "next_cursor": "..." | null}`. `updated_since` and
/// `updated_at` are each location's own; products without locations are not
/// listed.
pub async fn list_levels(
    State(state): State<AppState>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, BadRequest> {
    let query = listing_query(query)?;
    let after = query.after.as_deref().map(level_of_cursor).transpose()?;
    let page = state.levels_page(after, query.since, query.ids.as_deref(), query.limit);
    if let Some(failure) = failing_page(page.items.iter().map(|l| (l.product_id.as_str(), l.fault)))
    {
        return Ok(failure);
    }
    let next_cursor = page
        .more
        .then(|| {
            page.items
                .last()
                .map(|level| cursor_after(&format!("{}\0{}", level.product_id, level.location)))
        })
        .flatten();
    let items: Vec<LevelRecord> = page
        .items
        .iter()
        .map(|level| LevelRecord {
            product_id: &level.product_id,
            location: &level.location,
            quantity: &level.quantity,
            updated_at: rfc3339(level.updated_at),
        })
        .collect();
    Ok(Json(Levels { items, next_cursor }).into_response())
}

/// The product and location a levels cursor stands for, or the 400 refusing it.
fn level_of_cursor(after: &str) -> Result<(&str, &str), BadRequest> {
    after.split_once('\0').ok_or_else(|| {
        BadRequest(json!({
            "error": "cursor is not one of this listing: pass the next_cursor of the previous page as it came",
            "parameter": "cursor",
        }))
    })
}

/// The 503 of a page that holds a product whose fault fails the listing
/// page it is on, given the page's `(product_id, fault)`s; `None` for a page
/// that is served.
fn failing_page<'a>(mut items: impl Iterator<Item = (&'a str, Option<Fault>)>) -> Option<Response> {
    let (product_id, _) = items.find(|(_, fault)| fault.is_some_and(Fault::fails_listing_page))?;
    tracing::info!(product_id, "listing page fails on purpose");
    Some(json_error(
        StatusCode::SERVICE_UNAVAILABLE,
        "service temporarily unavailable",
    ))
}

/// One page of the levels listing.
#[derive(Serialize)]
struct Levels<'a> {
    items: Vec<LevelRecord<'a>>,
    next_cursor: Option<String>,
}

/// A product at one location: `{"product_id", "location", "quantity", "updated_at"}`.
#[derive(Serialize)]
struct LevelRecord<'a> {
    product_id: &'a str,
    location: &'a str,
    quantity: &'a str,
    updated_at: String,
}

/// One page of the listing.
#[derive(Serialize)]
struct Listing<'a> {
    items: Vec<Record<'a>>,
    next_cursor: Option<String>,
}

/// A product as the answers show it: `{"product_id", "quantity",
/// "locations" (when it has them), "updated_at" (in the listing)}`, in that
/// order.
#[derive(Serialize)]
struct Record<'a> {
    product_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    quantity: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    locations: Option<Cow<'a, [Location]>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    updated_at: Option<String>,
}

impl<'a> Record<'a> {
    /// The product's record, spoiled as `fault` spoils it: a bad quantity
    /// (`negative_quantity`, `quantity_not_number`, `missing_quantity`, then
    /// without locations) or bad locations (`locations_sum_mismatch`,
    /// `location_twice`). Other faults leave it as it is.
    fn new(
        product_id: &'a str,
        quantity: &'a str,
        locations: Option<&'a [Location]>,
        fault: Option<Fault>,
    ) -> Self {
        let mut record = Record {
            product_id,
            quantity: Some(Cow::Borrowed(quantity)),
            locations: locations.map(Cow::Borrowed),
            updated_at: None,
        };
        let bad_quantity = match fault {
            Some(Fault::NegativeQuantity) => Some(Some("-5")),
            Some(Fault::QuantityNotNumber) => Some(Some("lots")),
            Some(Fault::MissingQuantity) => Some(None),
            _ => None,
        };
        if let Some(bad) = bad_quantity {
            record.quantity = bad.map(Cow::Borrowed);
            record.locations = None;
        }
        match (fault, locations) {
            (Some(Fault::LocationsSumMismatch), Some(_)) => {
                let more = decimal_sum([quantity, "1"]).unwrap_or_else(|| "1".into());
                record.quantity = Some(Cow::Owned(more));
            }
            (Some(Fault::LocationTwice), Some(all @ [first, ..])) => {
                let mut twice = all.to_vec();
                twice.push(Location::new(first.location.clone(), "0"));
                record.locations = Some(Cow::Owned(twice));
            }
            _ => {}
        }
        record
    }
}

/// The listing's parameters, or the 400 answer that names the
/// bad one.
fn listing_query(
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<ListingQuery, BadRequest> {
    let Query(pairs) = query.map_err(|rejection| {
        let error = format!("the query string cannot be read: {}", rejection.body_text());
        BadRequest(json!({ "error": error }))
    })?;
    ListingQuery::parse(&pairs)
        .map_err(|err| BadRequest(json!({ "error": err.message, "parameter": err.parameter })))
}

/// A request refused with a 400, whose JSON body names what was wrong.
#[derive(Debug)]
pub struct BadRequest(Value);

impl IntoResponse for BadRequest {
    fn into_response(self) -> Response {
        (StatusCode::BAD_REQUEST, Json(self.0)).into_response()
    }
}

/// A product as the listing shows it. The faults that give a bad quantity
/// or bad locations give them here too.
fn listed(product: &Product) -> Record<'_> {
    let mut record = Record::new(
        &product.product_id,
        &product.quantity,
        product.locations.as_deref(),
        product.fault,
    );
    record.updated_at = product.updated_at.map(rfc3339);
    record
}

/// `GET /api/stock/{id}`
pub async fn get_stock(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match state.lookup(&id) {
        None => json_error(StatusCode::NOT_FOUND, "product not found"),
        Some(found) => {
            let locations = found.locations.as_deref();
            match found.fault {
                None => stock_body(&id, &found.quantity, locations),
                Some(fault) => fault_response(fault, &id, &found.quantity, locations).await,
            }
        }
    }
}

/// `PUT /api/stock/{id}` with `{"quantity": "60"}` (string or number), or
/// `{"locations": [{"location": "PARIS", "quantity": "30"}, ...]}` (the
/// quantity then their sum; given too, it must be). Creates the product when
/// it does not exist yet (201), else updates it (200). A quantity alone for
/// a product stocked per location is refused (400). A change (not the same
/// quantities again) is notified, in the background, when notifications are
/// set up.
pub async fn put_stock(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let stock = match put_body(&body) {
        Ok(stock) => stock,
        Err(message) => return json_error(StatusCode::BAD_REQUEST, &message),
    };
    let change = match state.put(&id, stock.clone()) {
        Ok(change) => change,
        Err(err) => return json_error(StatusCode::BAD_REQUEST, &err.to_string()),
    };
    if change != Change::Unchanged
        && let Some(notifier) = &state.settings().notifier
    {
        notifier.notify(&id);
    }
    let status = if change == Change::Created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let record = Record::new(&id, &stock.quantity, stock.locations.as_deref(), None);
    (status, Json(record)).into_response()
}

/// What a `PUT` body asks for, or the sentence of its 400.
fn put_body(body: &[u8]) -> Result<Stock, String> {
    const EXAMPLE: &str =
        r#"{"quantity": "60"} or {"locations": [{"location": "PARIS", "quantity": "30"}]}"#;
    let value: Value = serde_json::from_slice(body)
        .map_err(|err| format!("body must be JSON such as {EXAMPLE}: {err}"))?;
    let Value::Object(fields) = &value else {
        return Err(format!(
            "body must be a JSON object such as {EXAMPLE}, not {}",
            json_kind(&value)
        ));
    };
    if !fields.contains_key("quantity") && !fields.contains_key("locations") {
        return Err(format!(
            "quantity is missing: the body must give a quantity or locations, such as {EXAMPLE}"
        ));
    }
    let (quantity, locations) = parse_stock(fields.get("quantity"), fields.get("locations"))?;
    Ok(Stock {
        quantity,
        locations,
    })
}

/// Any other path.
pub async fn fallback() -> Response {
    json_error(StatusCode::NOT_FOUND, "no such route")
}

/// Middleware for every route: the `Date` header, on the API's clock, taken
/// when the request arrives (so a listing page holds every change made before
/// its `Date`).
pub async fn date_header(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let arrival = state.now();
    let mut response = next.run(request).await;
    if let Ok(date) = HeaderValue::from_str(&http_date(arrival)) {
        response.headers_mut().insert(header::DATE, date);
    }
    response
}

/// Middleware for the stock routes: takes a token of the rate limit when one
/// is set, adds the configured latency, then answers 429 when over the limit,
/// else checks the bearer token when one is configured.
pub async fn stock_guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let arrival = Instant::now();
    let quota = state.rate_limiter().map(|limiter| limiter.check(arrival));
    let settings = state.settings();
    if !settings.latency.is_zero() {
        sleep_until_precise(arrival + settings.latency).await;
    }
    let mut response = if let Some(Quota::Refused { retry_after_secs }) = quota {
        let mut response = json_error(StatusCode::TOO_MANY_REQUESTS, "rate limit exceeded");
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        response
    } else if let Some(refused) = check_token(&request, settings.token.as_deref()) {
        refused
    } else {
        next.run(request).await
    };
    if let (Some(quota), Some(limiter)) = (quota, state.rate_limiter()) {
        let headers = response.headers_mut();
        headers.insert("ratelimit-limit", HeaderValue::from(limiter.rate()));
        headers.insert("ratelimit-remaining", HeaderValue::from(quota.remaining()));
        headers.insert("ratelimit-reset", HeaderValue::from(quota.reset_secs()));
    }
    response
}

/// The 401 answer when a token is configured and the request does not carry
/// it as `Authorization: Bearer <token>`.
fn check_token(request: &Request, token: Option<&str>) -> Option<Response> {
    let token = token?;
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "));
    if given.is_some_and(|given| constant_time_eq(given, token.as_bytes())) {
        return None;
    }
    let mut response = json_error(StatusCode::UNAUTHORIZED, "missing or invalid bearer token");
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    Some(response)
}

/// Margin before a deadline where [`sleep_until_precise`] leaves tokio's timer.
const COARSE_TIMER_MARGIN: Duration = Duration::from_millis(2);

/// Waits until `deadline`, never less, and not much more.
///
/// Tokio's timer counts whole milliseconds and rounds up, so a 20 ms sleep
/// lasts about 21.5 ms: 7 % more than the latency asked for. Tokio's timer is
/// used until shortly before the deadline, then a thread of the blocking pool
/// sleeps the rest with the system's finer clock.
async fn sleep_until_precise(deadline: Instant) {
    if let Some(coarse) = deadline.checked_sub(COARSE_TIMER_MARGIN) {
        tokio::time::sleep_until(coarse.into()).await;
    }
    if Instant::now() < deadline {
        let _ = tokio::task::spawn_blocking(move || {
            std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
        })
        .await;
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The normal answer: `{"product_id": id, "quantity": quantity}`, with
/// `"locations"` when the product has them.
fn stock_body(id: &str, quantity: &str, locations: Option<&[Location]>) -> Response {
    Json(Record::new(id, quantity, locations, None)).into_response()
}

fn with_content_type(status: StatusCode, content_type: &'static str, body: Body) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

const JSON: &str = "application/json";

/// The answer of a product that shows `fault`.
async fn fault_response(
    fault: Fault,
    id: &str,
    quantity: &str,
    locations: Option<&[Location]>,
) -> Response {
    match fault {
        Fault::Error500 => with_content_type(
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/plain; charset=utf-8",
            Body::from("Internal Server Error: the stock service failed\n"),
        ),
        Fault::Error503Once => json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "service temporarily unavailable",
        ),
        Fault::RateLimitedOnce => {
            let mut response = json_error(StatusCode::TOO_MANY_REQUESTS, "too many requests");
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            response
        }
        Fault::InvalidJson => {
            // A JSON answer cut short.
            let body = format!("{{\"product_id\": {}, \"quantity\": ", json!(id));
            with_content_type(StatusCode::OK, JSON, Body::from(body))
        }
        Fault::WrongProductId => {
            let other = if id == "GS-1001" {
                "GS-1002"
            } else {
                "GS-1001"
            };
            stock_body(other, quantity, locations)
        }
        // The faults of the record itself, as in the listing.
        Fault::NegativeQuantity
        | Fault::QuantityNotNumber
        | Fault::MissingQuantity
        | Fault::LocationsSumMismatch
        | Fault::LocationTwice => {
            Json(Record::new(id, quantity, locations, Some(fault))).into_response()
        }
        Fault::EmptyBody => with_content_type(StatusCode::OK, JSON, Body::empty()),
        Fault::HtmlPage => with_content_type(
            StatusCode::OK,
            "text/html; charset=utf-8",
            Body::from(HTML_PAGE),
        ),
        Fault::HugeBody => with_content_type(StatusCode::OK, JSON, huge_body(id, quantity)),
        Fault::EndlessBody => with_content_type(StatusCode::OK, JSON, endless_body(id, quantity)),
        Fault::Slow => {
            tokio::time::sleep(SLOW_DELAY).await;
            stock_body(id, quantity, locations)
        }
        // A fault of the listing only.
        Fault::ListingError503 => stock_body(id, quantity, locations),
    }
}

const HTML_PAGE: &str = "<!DOCTYPE html>\n<html>\n<head><title>502 Bad Gateway</title></head>\n\
<body>\n<h1>502 Bad Gateway</h1>\n<p>The upstream stock service did not answer.</p>\n</body>\n</html>\n";

/// The head of a JSON object whose last member is a `padding` string left open.
fn padded_head(id: &str, quantity: &str) -> String {
    format!(
        "{{\"product_id\":{},\"quantity\":{},\"padding\":\"",
        json!(id),
        json!(quantity)
    )
}

/// Exactly [`HUGE_BODY_BYTES`] of valid JSON, streamed from one static buffer
/// (never held in memory), without a Content-Length.
fn huge_body(id: &str, quantity: &str) -> Body {
    let head = padded_head(id, quantity);
    let tail = "\"}";
    let padding = HUGE_BODY_BYTES - head.len() - tail.len();
    let chunks = stream::once(async move { Bytes::from(head) })
        .chain(stream::repeat(Bytes::from_static(&PAD)).take(padding / PAD_LEN))
        .chain(stream::once(async move {
            Bytes::from_static(&PAD[..padding % PAD_LEN])
        }))
        .chain(stream::once(
            async move { Bytes::from_static(tail.as_bytes()) },
        ))
        .map(Ok::<_, Infallible>);
    Body::from_stream(chunks)
}

/// A JSON-looking body that never ends: one small chunk every
/// [`ENDLESS_CHUNK_INTERVAL`] until the client goes away.
fn endless_body(id: &str, quantity: &str) -> Body {
    let head = padded_head(id, quantity);
    let chunks = stream::once(async move { Bytes::from(head) })
        .chain(stream::unfold((), |()| async {
            tokio::time::sleep(ENDLESS_CHUNK_INTERVAL).await;
            Some((Bytes::from_static(&PAD[..1024]), ()))
        }))
        .map(Ok::<_, Infallible>);
    Body::from_stream(chunks)
}
