//! The prediction table at a cutoff T with a window W: the population is
//! every customer with activity before T (a purchase, for order files; any
//! event, for event logs); the label is 1 when they buy in [T, T + W); the
//! features use only rows before T.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::activity::{Action, ActivityLog};
use crate::data::columns::NO_KEY;
use crate::task::TaskError;

const DAY: i64 = 86_400;

/// A feature, named in plain words for the UI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    DaysSincePurchase,
    DaysSinceVisit,
    TenureDays,
    Orders,
    Orders30d,
    Orders90d,
    Spend,
    Spend30d,
    Spend90d,
    AverageBasket,
    DistinctItems,
    DistinctCategories,
    Views1d,
    Views7d,
    Views30d,
    Carts1d,
    Carts7d,
    Carts30d,
    Favourites1d,
    Favourites7d,
    Favourites30d,
    CartToPurchase,
    OpenCarts,
    ActiveDays,
}

impl Feature {
    pub fn name(self) -> &'static str {
        match self {
            Feature::DaysSincePurchase => "days_since_purchase",
            Feature::DaysSinceVisit => "days_since_visit",
            Feature::TenureDays => "tenure_days",
            Feature::Orders => "orders",
            Feature::Orders30d => "orders_30d",
            Feature::Orders90d => "orders_90d",
            Feature::Spend => "spend",
            Feature::Spend30d => "spend_30d",
            Feature::Spend90d => "spend_90d",
            Feature::AverageBasket => "average_basket",
            Feature::DistinctItems => "distinct_items",
            Feature::DistinctCategories => "distinct_categories",
            Feature::Views1d => "views_1d",
            Feature::Views7d => "views_7d",
            Feature::Views30d => "views_30d",
            Feature::Carts1d => "carts_1d",
            Feature::Carts7d => "carts_7d",
            Feature::Carts30d => "carts_30d",
            Feature::Favourites1d => "favourites_1d",
            Feature::Favourites7d => "favourites_7d",
            Feature::Favourites30d => "favourites_30d",
            Feature::CartToPurchase => "cart_to_purchase",
            Feature::OpenCarts => "open_carts",
            Feature::ActiveDays => "active_days",
        }
    }

    /// What it means, for the feature list and the reasons.
    pub fn describe(self) -> &'static str {
        match self {
            Feature::DaysSincePurchase => "days since the last purchase",
            Feature::DaysSinceVisit => "days since the last visit",
            Feature::TenureDays => "days since the first visit or purchase",
            Feature::Orders => "orders, all time",
            Feature::Orders30d => "orders in the last 30 days",
            Feature::Orders90d => "orders in the last 90 days",
            Feature::Spend => "spend, all time",
            Feature::Spend30d => "spend in the last 30 days",
            Feature::Spend90d => "spend in the last 90 days",
            Feature::AverageBasket => "average spend per order",
            Feature::DistinctItems => "distinct items bought or viewed",
            Feature::DistinctCategories => "distinct categories bought or viewed",
            Feature::Views1d => "views in the last day",
            Feature::Views7d => "views in the last 7 days",
            Feature::Views30d => "views in the last 30 days",
            Feature::Carts1d => "carts in the last day",
            Feature::Carts7d => "carts in the last 7 days",
            Feature::Carts30d => "carts in the last 30 days",
            Feature::Favourites1d => "favourites in the last day",
            Feature::Favourites7d => "favourites in the last 7 days",
            Feature::Favourites30d => "favourites in the last 30 days",
            Feature::CartToPurchase => "purchases per cart",
            Feature::OpenCarts => "items carted and not bought since",
            Feature::ActiveDays => "days with any activity",
        }
    }

    /// A customer's value of this feature as a reason a merchant reads:
    /// "bought 3 times in the last 30 days", "left 2 items in the cart".
    pub fn reason(self, v: f64) -> String {
        let n = v.round() as i64;
        let days = |n: i64| {
            if n == 1 {
                "1 day".to_owned()
            } else {
                format!("{n} days")
            }
        };
        let ago = |n: i64| {
            if n == 0 {
                "today".to_owned()
            } else {
                format!("{} ago", days(n))
            }
        };
        let count = |n: i64, one: &str, many: &str| match n {
            0 => format!("no {many}"),
            1 => format!("1 {one}"),
            _ => format!("{n} {many}"),
        };
        let bought = |when: &str| match n {
            0 => format!("no orders {when}"),
            1 => format!("bought once {when}"),
            _ => format!("bought {n} times {when}"),
        };
        let favourites = |when: &str| match n {
            0 => format!("no favourites {when}"),
            1 => format!("saved 1 item as favourite {when}"),
            _ => format!("saved {n} items as favourite {when}"),
        };
        match self {
            Feature::DaysSincePurchase => format!("last bought {}", ago(n)),
            Feature::DaysSinceVisit => format!("last visited {}", ago(n)),
            Feature::TenureDays => format!("a customer for {}", days(n)),
            Feature::Orders => bought("in all"),
            Feature::Orders30d => bought("in the last 30 days"),
            Feature::Orders90d => bought("in the last 90 days"),
            Feature::Spend => format!("spent {v:.0} in all"),
            Feature::Spend30d => format!("spent {v:.0} in the last 30 days"),
            Feature::Spend90d => format!("spent {v:.0} in the last 90 days"),
            Feature::AverageBasket => format!("spends {v:.0} per order"),
            Feature::DistinctItems => format!(
                "looked at or bought {}",
                count(n, "item", "different items")
            ),
            Feature::DistinctCategories => {
                format!("shops in {}", count(n, "category", "categories"))
            }
            Feature::Views1d => format!("{} in the last day", count(n, "view", "views")),
            Feature::Views7d => format!("{} in the last 7 days", count(n, "view", "views")),
            Feature::Views30d => format!("{} in the last 30 days", count(n, "view", "views")),
            Feature::Carts1d => format!("{} in the last day", count(n, "cart", "carts")),
            Feature::Carts7d => format!("{} in the last 7 days", count(n, "cart", "carts")),
            Feature::Carts30d => format!("{} in the last 30 days", count(n, "cart", "carts")),
            Feature::Favourites1d => favourites("in the last day"),
            Feature::Favourites7d => favourites("in the last 7 days"),
            Feature::Favourites30d => favourites("in the last 30 days"),
            Feature::CartToPurchase => format!("{:.0} purchases per 100 carts", v * 100.0),
            Feature::OpenCarts => match n {
                0 => "no items left in the cart".to_owned(),
                _ => format!("left {} in the cart", count(n, "item", "items")),
            },
            Feature::ActiveDays => format!("active on {}", days(n)),
        }
    }

    /// The features a file's columns allow.
    pub fn available(log: &ActivityLog) -> Vec<Feature> {
        use Feature::*;
        let mut out = vec![DaysSincePurchase];
        if log.has_events {
            out.push(DaysSinceVisit);
        }
        out.extend([TenureDays, Orders, Orders30d, Orders90d]);
        if log.has_price {
            out.extend([Spend, Spend30d, Spend90d, AverageBasket]);
        }
        out.push(DistinctItems);
        if log.has_category {
            out.push(DistinctCategories);
        }
        if log.has_events {
            out.extend([Views1d, Views7d, Views30d]);
            out.extend([Carts1d, Carts7d, Carts30d]);
            out.extend([Favourites1d, Favourites7d, Favourites30d]);
            out.extend([CartToPurchase, OpenCarts]);
        }
        out.push(ActiveDays);
        out
    }
}

/// The population at one cutoff, its features and labels.
#[derive(Clone, Debug)]
pub struct Table {
    pub cutoff: i64,
    pub window_days: u32,
    /// Customer codes (into `ActivityLog::customers`), by code.
    pub customers: Vec<u32>,
    pub features: Vec<Feature>,
    /// Row-major: `x[i * features.len() + j]`.
    pub x: Vec<f64>,
    /// 1 when the customer buys in [cutoff, cutoff + window), else 0; all 0
    /// when the window runs past the data (the list made at the data's end).
    pub y: Vec<f64>,
    /// Whether the window ends within the data, so labels are known.
    pub labelled: bool,
}

impl Table {
    pub fn len(&self) -> usize {
        self.customers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.customers.is_empty()
    }

    pub fn row(&self, i: usize) -> &[f64] {
        let f = self.features.len();
        &self.x[i * f..(i + 1) * f]
    }

    pub fn positive_rate(&self) -> f64 {
        self.y.iter().sum::<f64>() / self.len().max(1) as f64
    }
}

#[derive(Default)]
struct Acc {
    first: Option<i64>,
    last_visit: Option<i64>,
    last_purchase: Option<i64>,
    orders: HashSet<u64>,
    orders_30: HashSet<u64>,
    orders_90: HashSet<u64>,
    spend: [f64; 3],
    items: HashSet<u32>,
    categories: HashSet<u32>,
    /// Views, carts, favourites in the last 1, 7 and 30 days.
    recent: [[u32; 3]; 3],
    carts: u32,
    purchases: u32,
    /// Item → time of its latest cart (removed once bought after it).
    open: HashMap<u32, i64>,
    days: HashSet<i64>,
}

/// The table of `log` at `cutoff` with a `window_days` window.
pub fn table_at(log: &ActivityLog, cutoff: i64, window_days: u32) -> Result<Table, TaskError> {
    if window_days == 0 {
        return Err(TaskError::Input("the window must be at least 1 day".into()));
    }
    if cutoff <= log.first_time || cutoff > log.last_time + DAY {
        return Err(TaskError::Input(format!(
            "the cutoff {} is outside the data, which runs from {} to {}",
            day_label(cutoff),
            day_label(log.first_time),
            day_label(log.last_time)
        )));
    }
    let end = cutoff + i64::from(window_days) * DAY;
    let mut acc: HashMap<u32, Acc> = HashMap::new();
    let mut bought: HashSet<u32> = HashSet::new();
    for r in &log.rows {
        if r.time >= cutoff {
            if r.time < end && r.action == Action::Purchase {
                bought.insert(r.customer);
            }
            continue;
        }
        let a = acc.entry(r.customer).or_default();
        let age = cutoff - r.time;
        a.first = Some(a.first.map_or(r.time, |f| f.min(r.time)));
        a.last_visit = Some(a.last_visit.map_or(r.time, |l| l.max(r.time)));
        a.days.insert(r.time.div_euclid(DAY));
        a.items.insert(r.item);
        if r.category != NO_KEY {
            a.categories.insert(r.category);
        }
        let slot = match r.action {
            Action::View => Some(0),
            Action::Cart => Some(1),
            Action::Favourite => Some(2),
            Action::Purchase => None,
        };
        if let Some(s) = slot {
            for (w, days) in [1, 7, 30].into_iter().enumerate() {
                if age <= days * DAY {
                    a.recent[s][w] += 1;
                }
            }
        }
        match r.action {
            Action::Cart => {
                a.carts += 1;
                a.open.insert(r.item, r.time);
            }
            Action::Purchase => {
                a.purchases += 1;
                a.last_purchase = Some(a.last_purchase.map_or(r.time, |l| l.max(r.time)));
                a.orders.insert(r.order);
                a.spend[0] += r.amount;
                if age <= 30 * DAY {
                    a.orders_30.insert(r.order);
                    a.spend[1] += r.amount;
                }
                if age <= 90 * DAY {
                    a.orders_90.insert(r.order);
                    a.spend[2] += r.amount;
                }
                a.open.remove(&r.item);
            }
            _ => {}
        }
    }
    // Order files: only buyers are customers; event logs: anyone active.
    let mut customers: Vec<u32> = acc
        .iter()
        .filter(|(_, a)| log.has_events || a.purchases > 0)
        .map(|(&c, _)| c)
        .collect();
    customers.sort_unstable();
    if customers.is_empty() {
        return Err(TaskError::Input(format!(
            "nobody {} before the cutoff {}",
            if log.has_events {
                "was active"
            } else {
                "bought"
            },
            day_label(cutoff)
        )));
    }
    let features = Feature::available(log);
    let never = ((cutoff - log.first_time) / DAY + 1) as f64;
    let days = |t: Option<i64>| t.map_or(never, |t| ((cutoff - t) / DAY) as f64);
    let mut x = Vec::with_capacity(customers.len() * features.len());
    for c in &customers {
        let a = &acc[c];
        for f in &features {
            x.push(match f {
                Feature::DaysSincePurchase => days(a.last_purchase),
                Feature::DaysSinceVisit => days(a.last_visit),
                Feature::TenureDays => days(a.first),
                Feature::Orders => a.orders.len() as f64,
                Feature::Orders30d => a.orders_30.len() as f64,
                Feature::Orders90d => a.orders_90.len() as f64,
                Feature::Spend => a.spend[0],
                Feature::Spend30d => a.spend[1],
                Feature::Spend90d => a.spend[2],
                Feature::AverageBasket => {
                    if a.orders.is_empty() {
                        0.0
                    } else {
                        a.spend[0] / a.orders.len() as f64
                    }
                }
                Feature::DistinctItems => a.items.len() as f64,
                Feature::DistinctCategories => a.categories.len() as f64,
                Feature::Views1d => f64::from(a.recent[0][0]),
                Feature::Views7d => f64::from(a.recent[0][1]),
                Feature::Views30d => f64::from(a.recent[0][2]),
                Feature::Carts1d => f64::from(a.recent[1][0]),
                Feature::Carts7d => f64::from(a.recent[1][1]),
                Feature::Carts30d => f64::from(a.recent[1][2]),
                Feature::Favourites1d => f64::from(a.recent[2][0]),
                Feature::Favourites7d => f64::from(a.recent[2][1]),
                Feature::Favourites30d => f64::from(a.recent[2][2]),
                Feature::CartToPurchase => {
                    if a.carts == 0 {
                        0.0
                    } else {
                        f64::from(a.purchases) / f64::from(a.carts)
                    }
                }
                Feature::OpenCarts => a.open.len() as f64,
                Feature::ActiveDays => a.days.len() as f64,
            });
        }
    }
    let labelled = end <= log.last_time + DAY;
    let y = customers
        .iter()
        .map(|c| f64::from(u8::from(labelled && bought.contains(c))))
        .collect();
    Ok(Table {
        cutoff,
        window_days,
        customers,
        features,
        x,
        y,
        labelled,
    })
}

/// Unix seconds of a `YYYY-MM-DD` date (what follows it, such as a time
/// of day, is ignored); `None` when it is not one.
pub fn parse_day(text: &str) -> Option<i64> {
    let day = text.trim().get(..10)?;
    let mut parts = day.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    let (y, m, d) = (
        y.parse::<i64>().ok()?,
        m.parse::<u32>().ok()?,
        d.parse::<u32>().ok()?,
    );
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    Some(crate::data::timestamp::days_from_civil(y, m, d) * DAY)
}

/// A window that leaves room for a training and an evaluation period:
/// 90 days, or a quarter of the data's span when that is shorter.
pub fn suggested_window(first: i64, last: i64) -> u32 {
    (((last - first) / DAY / 4).clamp(1, 90)) as u32
}

/// `2011-09-01` for a unix time.
pub fn day_label(t: i64) -> String {
    crate::data::timestamp::format_day(t.div_euclid(DAY))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_print_as_dates() {
        assert_eq!(day_label(0), "1970-01-01");
        assert_eq!(day_label(1_314_835_200), "2011-09-01");
        assert_eq!(day_label(951_782_400), "2000-02-29");
    }

    #[test]
    fn reasons_read_as_sentences() {
        assert_eq!(
            Feature::Orders30d.reason(3.0),
            "bought 3 times in the last 30 days"
        );
        assert_eq!(Feature::OpenCarts.reason(1.0), "left 1 item in the cart");
        assert_eq!(Feature::DaysSinceVisit.reason(0.0), "last visited today");
        assert_eq!(Feature::Views1d.reason(0.0), "no views in the last day");
        assert_eq!(
            Feature::Orders30d.reason(0.0),
            "no orders in the last 30 days"
        );
        assert_eq!(
            Feature::DaysSincePurchase.reason(1.0),
            "last bought 1 day ago"
        );
    }
}
