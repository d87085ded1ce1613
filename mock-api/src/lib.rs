//! A simulated GlobalShop stock API, for demos and tests.
//!
//! - `GET /api/stock/{id}`: `{"product_id": "<id>", "quantity": "<decimal>"}` or 404
//!   `{"error": "product not found"}`;
//! - `PUT /api/stock/{id}` with `{"quantity": "60"}` sets a product's stock;
//! - `GET /api/stock`: every product; `GET /health`: 200.
//!
//! Products may carry a [`Fault`] that makes them misbehave on purpose.
//!
//! ```
//! use mock_api::{app, AppState};
//!
//! let router = app(AppState::demo());
//! # let _ = router;
//! ```

pub mod data;
pub mod fault;
pub mod handlers;
pub mod state;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

pub use data::{Product, demo_products, load_products};
pub use fault::Fault;
pub use state::{AppState, Settings};

/// The whole API as an axum [`Router`], with request logging.
pub fn app(state: AppState) -> Router {
    let stock = Router::new()
        .route("/api/stock", get(handlers::list))
        .route(
            "/api/stock/{id}",
            get(handlers::get_stock).put(handlers::put_stock),
        )
        .route_layer(from_fn_with_state(state.clone(), handlers::stock_guard));
    Router::new()
        .route("/health", get(handlers::health))
        .merge(stock)
        .fallback(handlers::fallback)
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
