//! The server's state: products, request counters and settings, in one struct.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use crate::data::Product;
use crate::fault::Fault;

/// Settings that do not change while the server runs.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// Delay added to every stock request.
    pub latency: Duration,
    /// When set, stock routes require `Authorization: Bearer <token>`.
    pub token: Option<String>,
}

/// Shared state of the simulated API. Cloning is cheap (one `Arc`); tests keep a
/// clone to look at request counts.
#[derive(Clone, Debug)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    settings: Settings,
    products: RwLock<BTreeMap<String, Entry>>,
}

#[derive(Debug)]
struct Entry {
    quantity: String,
    fault: Option<Fault>,
    /// `GET /api/stock/{id}` requests seen for this product.
    hits: AtomicU64,
}

/// What a `GET /api/stock/{id}` should do, decided under the lock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lookup {
    pub quantity: String,
    /// The fault to show on this request (a "once" fault only on the first).
    pub fault: Option<Fault>,
}

impl AppState {
    /// A state holding `products`.
    pub fn new(products: Vec<Product>, settings: Settings) -> Self {
        let products = products
            .into_iter()
            .map(|p| {
                let entry = Entry {
                    quantity: p.quantity,
                    fault: p.fault,
                    hits: AtomicU64::new(0),
                };
                (p.product_id, entry)
            })
            .collect();
        AppState {
            inner: Arc::new(Inner {
                settings,
                products: RwLock::new(products),
            }),
        }
    }

    /// The built-in demo data with default settings.
    pub fn demo() -> Self {
        AppState::new(crate::data::demo_products(), Settings::default())
    }

    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// Counts a `GET` for `id` and says how to answer it, or `None` when the
    /// product is unknown.
    pub fn lookup(&self, id: &str) -> Option<Lookup> {
        let products = self
            .inner
            .products
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        let entry = products.get(id)?;
        let previous = entry.hits.fetch_add(1, Ordering::Relaxed);
        let fault = entry
            .fault
            .filter(|fault| !fault.is_once() || previous == 0);
        Some(Lookup {
            quantity: entry.quantity.clone(),
            fault,
        })
    }

    /// How many `GET /api/stock/{id}` requests the product has had (0 for an
    /// unknown product).
    pub fn hits(&self, id: &str) -> u64 {
        self.inner
            .products
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .map_or(0, |entry| entry.hits.load(Ordering::Relaxed))
    }

    /// Sets a product's quantity, creating the product if needed. Returns
    /// `true` when it was created.
    pub fn set_quantity(&self, id: &str, quantity: String) -> bool {
        let mut products = self
            .inner
            .products
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = products.get_mut(id) {
            entry.quantity = quantity;
            false
        } else {
            let entry = Entry {
                quantity,
                fault: None,
                hits: AtomicU64::new(0),
            };
            products.insert(id.to_owned(), entry);
            true
        }
    }

    /// Every product, sorted by ID.
    pub fn products(&self) -> Vec<Product> {
        self.inner
            .products
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(id, entry)| Product {
                product_id: id.clone(),
                quantity: entry.quantity.clone(),
                fault: entry.fault,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn once_faults_show_on_the_first_request_only() {
        let state = AppState::demo();
        assert_eq!(
            state.lookup("GS-9002").unwrap().fault,
            Some(Fault::Error503Once)
        );
        assert_eq!(state.lookup("GS-9002").unwrap().fault, None);
        assert_eq!(
            state.lookup("GS-9001").unwrap().fault,
            Some(Fault::Error500)
        );
        assert_eq!(
            state.lookup("GS-9001").unwrap().fault,
            Some(Fault::Error500)
        );
        assert_eq!(state.hits("GS-9002"), 2);
        assert_eq!(state.hits("nope"), 0);
        assert!(state.lookup("nope").is_none());
    }

    #[test]
    fn set_quantity_updates_or_creates() {
        let state = AppState::demo();
        assert!(!state.set_quantity("GS-1001", "60".into()));
        assert_eq!(state.lookup("GS-1001").unwrap().quantity, "60");
        assert!(state.set_quantity("NEW", "1".into()));
        assert_eq!(state.lookup("NEW").unwrap().quantity, "1");
    }
}
