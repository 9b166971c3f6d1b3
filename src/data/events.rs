//! Event types normalised across stores (view / cart / purchase / favourite) and
//! the weights that turn them into interaction strengths.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    View,
    Favourite,
    Cart,
    Purchase,
    /// A recognised raw name that is none of the above (e.g. remove_from_cart).
    Other,
}

impl EventKind {
    pub const FUNNEL: [EventKind; 3] = [EventKind::View, EventKind::Cart, EventKind::Purchase];

    pub fn name(self) -> &'static str {
        match self {
            EventKind::View => "view",
            EventKind::Favourite => "favourite",
            EventKind::Cart => "cart",
            EventKind::Purchase => "purchase",
            EventKind::Other => "other",
        }
    }

    /// Map a raw event name (any case) to a kind; `None` for unknown names.
    pub fn recognise(raw: &str) -> Option<EventKind> {
        static BY_NAME: std::sync::OnceLock<std::collections::HashMap<&str, EventKind>> =
            std::sync::OnceLock::new();
        let by_name = BY_NAME.get_or_init(|| EVENT_NAMES.iter().copied().collect());
        by_name
            .get(raw.trim().to_ascii_lowercase().as_str())
            .copied()
    }

    /// Unknown names are kept as `Other`, their raw name still reported.
    pub fn normalise(raw: &str) -> EventKind {
        Self::recognise(raw).unwrap_or(EventKind::Other)
    }
}

/// The raw event names shoplens recognises (lower case), and their kinds:
/// the one list [`EventKind::recognise`] reads, also handed to a Spark job
/// that reads a raw file itself.
pub const EVENT_NAMES: &[(&str, EventKind)] = &[
    ("view", EventKind::View),
    ("pv", EventKind::View),
    ("page_view", EventKind::View),
    ("pageview", EventKind::View),
    ("detail", EventKind::View),
    ("click", EventKind::View),
    ("views", EventKind::View),
    ("product_view", EventKind::View),
    ("cart", EventKind::Cart),
    ("addtocart", EventKind::Cart),
    ("add_to_cart", EventKind::Cart),
    ("add-to-cart", EventKind::Cart),
    ("addcart", EventKind::Cart),
    ("basket", EventKind::Cart),
    ("purchase", EventKind::Purchase),
    ("buy", EventKind::Purchase),
    ("transaction", EventKind::Purchase),
    ("order", EventKind::Purchase),
    ("checkout", EventKind::Purchase),
    ("purchased", EventKind::Purchase),
    ("sale", EventKind::Purchase),
    ("fav", EventKind::Favourite),
    ("favorite", EventKind::Favourite),
    ("favourite", EventKind::Favourite),
    ("wishlist", EventKind::Favourite),
    ("like", EventKind::Favourite),
    ("save", EventKind::Favourite),
    ("collect", EventKind::Favourite),
    ("remove_from_cart", EventKind::Other),
    ("removefromcart", EventKind::Other),
    ("remove", EventKind::Other),
];

/// How much each event type counts as an interaction. Defaults follow the usual
/// intent ladder: a purchase says more than a view.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EventWeights {
    pub view: f32,
    pub favourite: f32,
    pub cart: f32,
    pub purchase: f32,
    pub other: f32,
}

impl Default for EventWeights {
    fn default() -> Self {
        Self {
            view: 1.0,
            favourite: 2.0,
            cart: 3.0,
            purchase: 4.0,
            other: 0.0,
        }
    }
}

impl EventWeights {
    pub fn weight(&self, kind: EventKind) -> f32 {
        match kind {
            EventKind::View => self.view,
            EventKind::Favourite => self.favourite,
            EventKind::Cart => self.cart,
            EventKind::Purchase => self.purchase,
            EventKind::Other => self.other,
        }
    }

    pub fn weight_mut(&mut self, kind: EventKind) -> &mut f32 {
        match kind {
            EventKind::View => &mut self.view,
            EventKind::Favourite => &mut self.favourite,
            EventKind::Cart => &mut self.cart,
            EventKind::Purchase => &mut self.purchase,
            EventKind::Other => &mut self.other,
        }
    }

    /// Weights must be finite and non-negative.
    pub fn validate(&self) -> Result<(), String> {
        for kind in [
            EventKind::View,
            EventKind::Favourite,
            EventKind::Cart,
            EventKind::Purchase,
            EventKind::Other,
        ] {
            let w = self.weight(kind);
            if !w.is_finite() || w < 0.0 {
                return Err(format!(
                    "the weight of '{}' must be a number ≥ 0, not {w}",
                    kind.name()
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_vocabularies_map_to_the_four_kinds() {
        for (raw, kind) in [
            ("pv", EventKind::View),
            ("view", EventKind::View),
            ("addtocart", EventKind::Cart),
            ("cart", EventKind::Cart),
            ("buy", EventKind::Purchase),
            ("transaction", EventKind::Purchase),
            ("fav", EventKind::Favourite),
            ("remove_from_cart", EventKind::Other),
        ] {
            assert_eq!(EventKind::normalise(raw), kind, "{raw}");
        }
        assert_eq!(EventKind::recognise("hello"), None);
    }

    #[test]
    fn default_weights_and_validation() {
        let mut w = EventWeights::default();
        assert_eq!(w.weight(EventKind::Purchase), 4.0);
        assert!(w.validate().is_ok());
        w.cart = -1.0;
        assert!(w.validate().unwrap_err().contains("cart"));
    }
}
