//! Request handlers. Each one is small; faults are answered by `fault_response`.

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
use serde_json::{Value, json};

use crate::clock::{http_date, rfc3339};
use crate::data::{Product, json_kind, parse_quantity};
use crate::fault::Fault;
use crate::listing::{ListingQuery, cursor_after};
use crate::rate::Quota;
use crate::state::{AppState, Change};

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

/// `GET /api/stock?limit=500&cursor=C&updated_since=T`: one page of the
/// listing, `{"items": [...], "next_cursor": "..." | null}`.
pub async fn list(
    State(state): State<AppState>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let query = match listing_query(query) {
        Ok(query) => query,
        Err(body) => return (StatusCode::BAD_REQUEST, Json(body)).into_response(),
    };
    let page = state.page(query.after.as_deref(), query.since, query.limit);
    if let Some(failing) = page
        .items
        .iter()
        .find(|p| p.fault.is_some_and(Fault::fails_listing_page))
    {
        tracing::info!(
            product_id = failing.product_id,
            "listing page fails on purpose"
        );
        return json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "service temporarily unavailable",
        );
    }
    let next_cursor = page
        .more
        .then(|| page.items.last().map(|p| cursor_after(&p.product_id)))
        .flatten();
    let items: Vec<Value> = page.items.iter().map(listed).collect();
    Json(json!({ "items": items, "next_cursor": next_cursor })).into_response()
}

/// The listing's parameters, or the body of the 400 answer that names the
/// bad one.
fn listing_query(
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<ListingQuery, Value> {
    let Query(pairs) = query.map_err(|rejection| {
        let error = format!("the query string cannot be read: {}", rejection.body_text());
        json!({ "error": error })
    })?;
    ListingQuery::parse(&pairs)
        .map_err(|err| json!({ "error": err.message, "parameter": err.parameter }))
}

/// A product as the listing shows it. The faults that give a bad quantity
/// give it here too.
fn listed(product: &Product) -> Value {
    let updated_at = product.updated_at.map(rfc3339);
    let mut item = json!({
        "product_id": product.product_id,
        "quantity": product.quantity,
        "updated_at": updated_at,
    });
    match product.fault {
        Some(Fault::NegativeQuantity) => item["quantity"] = json!("-5"),
        Some(Fault::QuantityNotNumber) => item["quantity"] = json!("lots"),
        Some(Fault::MissingQuantity) => {
            if let Value::Object(fields) = &mut item {
                fields.remove("quantity");
            }
        }
        _ => {}
    }
    item
}

/// `GET /api/stock/{id}`
pub async fn get_stock(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match state.lookup(&id) {
        None => json_error(StatusCode::NOT_FOUND, "product not found"),
        Some(found) => match found.fault {
            None => stock_body(&id, &found.quantity),
            Some(fault) => fault_response(fault, &id, &found.quantity).await,
        },
    }
}

/// `PUT /api/stock/{id}` with `{"quantity": "60"}` (string or number).
/// Creates the product when it does not exist yet (201), else updates it (200).
/// A change (not the same quantity again) is notified, in the background,
/// when notifications are set up.
pub async fn put_stock(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let value: Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(err) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                &format!("body must be JSON such as {{\"quantity\": \"60\"}}: {err}"),
            );
        }
    };
    let Value::Object(fields) = &value else {
        return json_error(
            StatusCode::BAD_REQUEST,
            &format!(
                "body must be a JSON object such as {{\"quantity\": \"60\"}}, not {}",
                json_kind(&value)
            ),
        );
    };
    let quantity = match parse_quantity(fields.get("quantity")) {
        Ok(quantity) => quantity,
        Err(err) => return json_error(StatusCode::BAD_REQUEST, &err.to_string()),
    };
    let change = state.set_quantity(&id, quantity.clone());
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
    (
        status,
        Json(json!({ "product_id": id, "quantity": quantity })),
    )
        .into_response()
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

/// The normal answer: `{"product_id": id, "quantity": quantity}`.
fn stock_body(id: &str, quantity: &str) -> Response {
    Json(json!({ "product_id": id, "quantity": quantity })).into_response()
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
async fn fault_response(fault: Fault, id: &str, quantity: &str) -> Response {
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
            stock_body(other, quantity)
        }
        Fault::NegativeQuantity => stock_body(id, "-5"),
        Fault::QuantityNotNumber => stock_body(id, "lots"),
        Fault::MissingQuantity => Json(json!({ "product_id": id })).into_response(),
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
            stock_body(id, quantity)
        }
        // A fault of the listing only.
        Fault::ListingError503 => stock_body(id, quantity),
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
