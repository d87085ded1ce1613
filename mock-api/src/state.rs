//! The server's state: products, request counters and settings, in one struct.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard};
use std::time::{Duration, SystemTime};

use crate::clock::Clock;
use crate::data::Product;
use crate::fault::Fault;
use crate::locations::{Location, same_locations};
use crate::notify::Notifier;
use crate::quantity::same_quantity;
use crate::rate::RateLimiter;

/// Settings that do not change while the server runs.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// Delay added to every stock request.
    pub latency: Duration,
    /// When set, stock routes require `Authorization: Bearer <token>`.
    pub token: Option<String>,
    /// The API's clock: `Date` headers, `updated_at` and `updated_since`.
    pub clock: Clock,
    /// Stock requests allowed a second (a token bucket); 0: no limit.
    pub rate_limit: u32,
    /// Where to notify the products that a `PUT` changes.
    pub notifier: Option<Notifier>,
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
    rate_limiter: Option<RateLimiter>,
}

#[derive(Debug)]
struct Entry {
    quantity: String,
    /// Where the stock is, when the product says so.
    locations: Option<Vec<Location>>,
    fault: Option<Fault>,
    /// When the quantity last changed, on the API's clock.
    updated_at: SystemTime,
    /// When each location's quantity last changed (the levels listing's
    /// `updated_at`), in the order of `locations`.
    located_at: Vec<SystemTime>,
    /// `GET /api/stock/{id}` requests seen for this product.
    hits: AtomicU64,
}

impl Entry {
    fn new(stock: Stock, fault: Option<Fault>, updated_at: SystemTime) -> Self {
        let located_at = vec![updated_at; stock.locations.as_ref().map_or(0, Vec::len)];
        Entry {
            quantity: stock.quantity,
            locations: stock.locations,
            fault,
            updated_at,
            located_at,
            hits: AtomicU64::new(0),
        }
    }

    /// When each of `new` locations last changed, were they set now: a
    /// location that holds the same quantity as before keeps its time.
    fn located_at(&self, new: Option<&[Location]>, now: SystemTime) -> Vec<SystemTime> {
        let old = self.locations.as_deref().unwrap_or_default();
        new.unwrap_or_default()
            .iter()
            .map(|level| {
                old.iter()
                    .zip(&self.located_at)
                    .find(|(was, _)| {
                        was.location == level.location
                            && same_quantity(&was.quantity, &level.quantity)
                    })
                    .map_or(now, |(_, at)| *at)
            })
            .collect()
    }

    /// Whether the entry already holds `stock` (the same numbers).
    fn holds(&self, stock: &Stock) -> bool {
        match (&self.locations, &stock.locations) {
            (None, None) => same_quantity(&self.quantity, &stock.quantity),
            (Some(old), Some(new)) => same_locations(old, new),
            _ => false,
        }
    }
}

/// What a `PUT` sets: a quantity, with the locations it is the sum of or
/// none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stock {
    pub quantity: String,
    pub locations: Option<Vec<Location>>,
}

impl Stock {
    /// A quantity without locations.
    pub fn total(quantity: impl Into<String>) -> Self {
        Stock {
            quantity: quantity.into(),
            locations: None,
        }
    }
}

/// A `PUT` that would lose what the API knows.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PutError {
    /// A quantity alone for a product stocked per location.
    #[error(
        "product {id:?} is stocked per location ({codes}): PUT its locations, such as \
         {{\"locations\": [{{\"location\": \"PARIS\", \"quantity\": \"30\"}}]}}, \
         to change its stock"
    )]
    Located { id: String, codes: String },
}

/// What a `PUT` did to a product.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// The product did not exist: it does now.
    Created,
    /// Its quantity changed.
    Updated,
    /// It already had that quantity: nothing changed, `updated_at` neither.
    Unchanged,
}

/// One page of the listing, taken under the lock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    /// The products of the page, by product_id.
    pub items: Vec<Product>,
    /// Whether products come after the page.
    pub more: bool,
}

/// A product's stock at one of its locations, as the levels listing shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Level {
    pub product_id: String,
    pub location: String,
    pub quantity: String,
    pub fault: Option<Fault>,
    /// When the quantity at this location last changed.
    pub updated_at: SystemTime,
}

/// One page of the levels listing, taken under the lock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LevelsPage {
    pub items: Vec<Level>,
    /// Whether levels come after the page.
    pub more: bool,
}

/// What a `GET /api/stock/{id}` should do, decided under the lock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lookup {
    pub quantity: String,
    pub locations: Option<Vec<Location>>,
    /// The fault to show on this request (a "once" fault only on the first).
    pub fault: Option<Fault>,
}

impl AppState {
    /// A state holding `products`.
    /// Products without an `updated_at` are stamped with the time they are
    /// loaded, on the API's clock.
    pub fn new(products: Vec<Product>, settings: Settings) -> Self {
        let loaded = settings.clock.now();
        let products = products
            .into_iter()
            .map(|p| {
                let stock = Stock {
                    quantity: p.quantity,
                    locations: p.locations,
                };
                let entry = Entry::new(stock, p.fault, p.updated_at.unwrap_or(loaded));
                (p.product_id, entry)
            })
            .collect();
        AppState {
            inner: Arc::new(Inner {
                rate_limiter: RateLimiter::new(settings.rate_limit),
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

    /// The token bucket of the stock routes, when `--rate-limit` is set.
    pub fn rate_limiter(&self) -> Option<&RateLimiter> {
        self.inner.rate_limiter.as_ref()
    }

    /// The time on the API's clock.
    /// The products, for reading (a poisoned lock is read all the same, as
    /// the writers do).
    fn read(&self) -> RwLockReadGuard<'_, BTreeMap<String, Entry>> {
        self.inner
            .products
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub fn now(&self) -> SystemTime {
        self.inner.settings.clock.now()
    }

    /// Counts a `GET` for `id` and says how to answer it, or `None` when the
    /// product is unknown.
    pub fn lookup(&self, id: &str) -> Option<Lookup> {
        let products = self.read();
        let entry = products.get(id)?;
        let previous = entry.hits.fetch_add(1, Ordering::Relaxed);
        let fault = entry
            .fault
            .filter(|fault| !fault.is_once() || previous == 0);
        Some(Lookup {
            quantity: entry.quantity.clone(),
            locations: entry.locations.clone(),
            fault,
        })
    }

    /// How many `GET /api/stock/{id}` requests the product has had (0 for an
    /// unknown product).
    pub fn hits(&self, id: &str) -> u64 {
        self.read()
            .get(id)
            .map_or(0, |entry| entry.hits.load(Ordering::Relaxed))
    }

    /// Sets a product's quantity, creating the product if needed, and stamps
    /// its `updated_at` when that changed anything. A product stocked per
    /// location loses its locations (a `PUT` refuses that instead: see
    /// [`AppState::put`]).
    pub fn set_quantity(&self, id: &str, quantity: String) -> Change {
        self.set(id, Stock::total(quantity))
    }

    /// What `PUT /api/stock/{id}` does: sets a product's stock as
    /// [`AppState::set_quantity`] does, its locations too when given, but
    /// refuses a quantity alone for a product stocked per location.
    pub fn put(&self, id: &str, stock: Stock) -> Result<Change, PutError> {
        let mut products = self
            .inner
            .products
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if stock.locations.is_none()
            && let Some(located) = products.get(id).and_then(|e| e.locations.as_ref())
        {
            let codes: Vec<&str> = located.iter().map(|l| l.location.as_str()).collect();
            return Err(PutError::Located {
                id: id.to_owned(),
                codes: codes.join(", "),
            });
        }
        Ok(self.set_in(&mut products, id, stock))
    }

    fn set(&self, id: &str, stock: Stock) -> Change {
        let mut products = self
            .inner
            .products
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        self.set_in(&mut products, id, stock)
    }

    fn set_in(&self, products: &mut BTreeMap<String, Entry>, id: &str, stock: Stock) -> Change {
        let now = self.now();
        if let Some(entry) = products.get_mut(id) {
            if entry.holds(&stock) {
                return Change::Unchanged;
            }
            entry.located_at = entry.located_at(stock.locations.as_deref(), now);
            entry.quantity = stock.quantity;
            entry.locations = stock.locations;
            entry.updated_at = now;
            Change::Updated
        } else {
            products.insert(id.to_owned(), Entry::new(stock, None, now));
            Change::Created
        }
    }

    /// The listing page of at most `limit` products whose ID comes after
    /// `after` (from the start when `None`) and whose `updated_at` is at or
    /// after `since` (all when `None`), by product_id.
    pub fn page(&self, after: Option<&str>, since: Option<SystemTime>, limit: usize) -> Page {
        self.page_of(after, since, None, limit)
    }

    /// [`AppState::page`] of the products whose ID is one of `ids` (all when `None`).
    pub fn page_of(
        &self,
        after: Option<&str>,
        since: Option<SystemTime>,
        ids: Option<&[String]>,
        limit: usize,
    ) -> Page {
        let products = self.read();
        let start = after.map_or(Bound::Unbounded, Bound::Excluded);
        let mut matching = products
            .range::<str, _>((start, Bound::Unbounded))
            .filter(|(_, entry)| since.is_none_or(|since| entry.updated_at >= since))
            .filter(|(id, _)| ids.is_none_or(|ids| ids.iter().any(|wanted| wanted == *id)))
            .map(|(id, entry)| product(id, entry));
        let items: Vec<Product> = matching.by_ref().take(limit).collect();
        let more = matching.next().is_some();
        Page { items, more }
    }

    /// The levels listing's page: at most `limit` levels (a product at one
    /// of its locations) coming after `after` (a product_id and a location;
    /// from the start when `None`), whose location's `updated_at` is at or
    /// after `since`, of the products `ids` (all when `None`), by product_id
    /// then in the product's order of locations. Products without locations
    /// have no level.
    pub fn levels_page(
        &self,
        after: Option<(&str, &str)>,
        since: Option<SystemTime>,
        ids: Option<&[String]>,
        limit: usize,
    ) -> LevelsPage {
        let products = self.read();
        let start = after.map_or(Bound::Unbounded, |(id, _)| Bound::Included(id));
        let mut matching = products
            .range::<str, _>((start, Bound::Unbounded))
            .filter(|(id, _)| ids.is_none_or(|ids| ids.iter().any(|wanted| wanted == *id)))
            .flat_map(|(id, entry)| {
                let levels = entry.locations.as_deref().unwrap_or_default();
                levels
                    .iter()
                    .zip(&entry.located_at)
                    .map(move |(level, at)| Level {
                        product_id: id.clone(),
                        location: level.location.clone(),
                        quantity: level.quantity.clone(),
                        fault: entry.fault,
                        updated_at: *at,
                    })
            })
            // The levels of the cursor's product up to its location were on earlier pages.
            .skip_while(|level| {
                after.is_some_and(|(id, location)| {
                    level.product_id == id && level.location != location
                })
            })
            .skip_while(|level| {
                after.is_some_and(|(id, location)| {
                    level.product_id == id && level.location == location
                })
            })
            .filter(|level| since.is_none_or(|since| level.updated_at >= since));
        let items: Vec<Level> = matching.by_ref().take(limit).collect();
        let more = matching.next().is_some();
        LevelsPage { items, more }
    }

    /// Every product, sorted by ID.
    pub fn products(&self) -> Vec<Product> {
        self.read()
            .iter()
            .map(|(id, entry)| product(id, entry))
            .collect()
    }
}

fn product(id: &str, entry: &Entry) -> Product {
    Product {
        product_id: id.to_owned(),
        quantity: entry.quantity.clone(),
        locations: entry.locations.clone(),
        fault: entry.fault,
        updated_at: Some(entry.updated_at),
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
        assert_eq!(state.set_quantity("GS-1001", "60".into()), Change::Updated);
        assert_eq!(state.lookup("GS-1001").unwrap().quantity, "60");
        assert_eq!(
            state.set_quantity("GS-1001", "60.0".into()),
            Change::Unchanged
        );
        assert_eq!(state.lookup("GS-1001").unwrap().quantity, "60");
        assert_eq!(state.set_quantity("NEW", "1".into()), Change::Created);
        assert_eq!(state.lookup("NEW").unwrap().quantity, "1");
    }

    #[test]
    fn put_keeps_locations_and_set_quantity_drops_them() {
        let state = AppState::demo();
        let located = |pairs: &[(&str, &str)]| {
            let locations: Vec<Location> =
                pairs.iter().map(|&(c, q)| Location::new(c, q)).collect();
            Stock {
                quantity: crate::locations::total(None, &locations).unwrap(),
                locations: Some(locations),
            }
        };
        let refused = state.put("GS-1013", Stock::total("45")).unwrap_err();
        assert!(refused.to_string().contains("(PARIS, LYON)"), "{refused}");
        assert_eq!(
            state.put("GS-1013", located(&[("LYON", "15.0"), ("PARIS", "30")])),
            Ok(Change::Unchanged)
        );
        assert_eq!(
            state.put("GS-1001", located(&[("PARIS", "50")])),
            Ok(Change::Updated)
        );
        assert!(state.lookup("GS-1001").unwrap().locations.is_some());
        // The library's set_quantity, for tests: the total alone, locations gone.
        assert_eq!(state.set_quantity("GS-1013", "45".into()), Change::Updated);
        assert_eq!(state.lookup("GS-1013").unwrap().locations, None);
    }

    #[test]
    fn pages_follow_the_ids_and_the_filter() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let at = |secs| t0 + Duration::from_secs(secs);
        let state = AppState::new(
            vec![
                Product::new("b", "1").updated_at(at(10)),
                Product::new("a", "1").updated_at(at(0)),
                Product::new("d", "1").updated_at(at(20)),
                Product::new("c", "1").updated_at(at(5)),
            ],
            Settings::default(),
        );
        let ids = |page: &Page| -> Vec<String> {
            page.items.iter().map(|p| p.product_id.clone()).collect()
        };
        let first = state.page(None, None, 2);
        assert_eq!(
            (ids(&first), first.more),
            (vec!["a".into(), "b".into()], true)
        );
        let last = state.page(Some("b"), None, 2);
        assert_eq!(
            (ids(&last), last.more),
            (vec!["c".into(), "d".into()], false)
        );
        let gone = state.page(Some("bb"), None, 5);
        assert_eq!(ids(&gone), ["c", "d"]);
        let since = state.page(None, Some(at(10)), 1);
        assert_eq!((ids(&since), since.more), (vec!["b".into()], true));
        let since = state.page(Some("b"), Some(at(10)), 1);
        assert_eq!((ids(&since), since.more), (vec!["d".into()], false));
        assert_eq!(since.items[0].updated_at, Some(at(20)));
    }
}
