//! A simulated GlobalShop stock API, for demos and tests.
//!
//! - `GET /api/stock/{id}`: `{"product_id": "<id>", "quantity": "<decimal>"}` or 404
//!   `{"error": "product not found"}`; a product stocked per location adds
//!   `"locations": [{"location": "PARIS", "quantity": "30"}, ...]` (see
//!   [`locations`]);
//! - `PUT /api/stock/{id}` with `{"quantity": "60"}`, or with
//!   `{"locations": [...]}`, sets a product's stock;
//! - `GET /api/stock?limit=500&cursor=C&updated_since=T`: the listing, one
//!   page `{"items": [{"product_id", "quantity", "locations" (when the
//!   product has them), "updated_at"}, ...], "next_cursor": "..." | null}`
//!   by product_id; a bad parameter is a 400 `{"error", "parameter"}` (see
//!   [`listing`]);
//! - `GET /health`: 200.
//!
//! Every answer carries a `Date` header from the API's own [`Clock`] (the
//! system's, shifted for tests), which also stamps each product's
//! `updated_at`: its load time, then each `PUT` that changes it.
//!
//! Products may carry a [`Fault`] that makes them misbehave on purpose.
//!
//! With a rate limit, the stock routes answer 429 with `Retry-After` over it,
//! and carry `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`
//! headers (see [`rate`]).
//!
//! With a [`Notifier`], a `PUT` that changes a product is notified to a URL,
//! signed (see [`notify`]).
//!
//! Modules: [`state`] holds the products and settings (one struct),
//! [`handlers`] answers the routes, [`listing`] reads the listing's
//! parameters, [`clock`] keeps the time, [`rate`] the request rate,
//! [`notify`] sends the notifications, [`fault`], [`data`], [`locations`]
//! and [`quantity`] describe the products.
//!
//! ```
//! use mock_api::{app, AppState};
//!
//! let router = app(AppState::demo());
//! # let _ = router;
//! ```

pub mod clock;
pub mod data;
pub mod fault;
pub mod handlers;
pub mod listing;
pub mod locations;
pub mod notify;
pub mod quantity;
pub mod rate;
pub mod state;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

pub use clock::Clock;
pub use data::{Product, demo_products, load_products};
pub use fault::Fault;
pub use locations::Location;
pub use notify::Notifier;
pub use state::{AppState, Change, PutError, Settings, Stock};

/// The whole API as an axum [`Router`], with request logging.
pub fn app(state: AppState) -> Router {
    let stock = Router::new()
        .route("/api/stock", get(handlers::list))
        .route("/api/levels", get(handlers::list_levels))
        .route(
            "/api/stock/{id}",
            get(handlers::get_stock).put(handlers::put_stock),
        )
        .route_layer(from_fn_with_state(state.clone(), handlers::stock_guard));
    Router::new()
        .route("/health", get(handlers::health))
        .merge(stock)
        .fallback(handlers::fallback)
        .layer(from_fn_with_state(state.clone(), handlers::date_header))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO))
                // Faults answer 5xx on purpose: `on_response` already logs
                // the status, an extra error line would only alarm.
                .on_failure(()),
        )
        .with_state(state)
}
