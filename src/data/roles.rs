//! Column roles: which column holds the user, the item, the event type, …
//! Assigned from column names (aliases), then from content, then overridden by
//! the user (mapping panel or CLI flags).

use std::collections::BTreeMap;
use std::fmt;

use polars::prelude::*;
use serde::{Deserialize, Serialize};

/// What a column means to shoplens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Item,
    Event,
    Timestamp,
    Rating,
    Quantity,
    Price,
    Order,
    Session,
    Category,
    Text,
    Label,
    /// Time of a row within its session (ms), added to the timestamp: the
    /// DIGINETICA log dates its views by day and orders them by this offset.
    Offset,
    /// What a logged recommendation earned: a click or a purchase (0/1).
    Reward,
    /// Probability with which the logging policy chose the logged item.
    Propensity,
    /// Slot or position the item was shown in.
    Position,
}

impl Role {
    pub const ALL: [Role; 16] = [
        Role::User,
        Role::Item,
        Role::Event,
        Role::Timestamp,
        Role::Rating,
        Role::Quantity,
        Role::Price,
        Role::Order,
        Role::Session,
        Role::Category,
        Role::Text,
        Role::Label,
        Role::Offset,
        Role::Reward,
        Role::Propensity,
        Role::Position,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Item => "item",
            Role::Event => "event",
            Role::Timestamp => "timestamp",
            Role::Rating => "rating",
            Role::Quantity => "quantity",
            Role::Price => "price",
            Role::Order => "order",
            Role::Session => "session",
            Role::Category => "category",
            Role::Text => "text",
            Role::Label => "label",
            Role::Offset => "offset",
            Role::Reward => "reward",
            Role::Propensity => "propensity",
            Role::Position => "position",
        }
    }

    /// The CLI flag that sets this role, without the leading dashes.
    pub fn flag(self) -> String {
        format!("{}-col", self.name())
    }

    pub fn describe(self) -> &'static str {
        match self {
            Role::User => "who acted: visitor, customer or reviewer id",
            Role::Item => "what was acted on: product, SKU, movie",
            Role::Event => "event type: view, cart, purchase, favourite",
            Role::Timestamp => "when: unix seconds/ms or a date-time",
            Role::Rating => "a numeric rating such as 1-5 stars",
            Role::Quantity => "units bought",
            Role::Price => "unit price",
            Role::Order => "order or invoice id",
            Role::Session => "browsing session id",
            Role::Category => "product category",
            Role::Text => "review or comment text",
            Role::Label => "sentiment label (0/1, pos/neg)",
            Role::Offset => "time within the session in ms, added to the timestamp",
            Role::Reward => "reward of a logged recommendation: click or purchase (0/1)",
            Role::Propensity => "probability the logging policy chose the logged item",
            Role::Position => "slot or position the item was shown in",
        }
    }

    pub fn from_name(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == name)
    }

    /// Column-name aliases, compared after lower-casing and dropping everything
    /// but letters and digits. Earlier entries win when several columns match.
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Role::User => &[
                "userid",
                "user",
                "visitorid",
                "visitor",
                "customerid",
                "customer",
                "clientid",
                "reviewerid",
                "memberid",
                "buyerid",
                "uid",
                "accountid",
            ],
            Role::Item => &[
                "itemid",
                "item",
                "productid",
                "product",
                "asin",
                "stockcode",
                "sku",
                "movieid",
                "articleid",
                "goodsid",
                "productcode",
            ],
            Role::Event => &[
                "eventtype",
                "event",
                "behaviortype",
                "behavior",
                "behaviourtype",
                "behaviour",
                "action",
                "interaction",
                "eventname",
            ],
            Role::Timestamp => &[
                "timestamp",
                "eventtime",
                "unixreviewtime",
                "datetime",
                "time",
                "invoicedate",
                "orderdate",
                "createdat",
                "date",
                "eventdate",
                "reviewtime",
                "ts",
            ],
            Role::Rating => &[
                "rating",
                "overall",
                "stars",
                "star",
                "score",
                "reviewscore",
                "ratings",
            ],
            Role::Quantity => &["quantity", "qty", "units", "unitssold"],
            Role::Price => &["unitprice", "price", "saleprice", "itemprice", "amount"],
            Role::Order => &[
                "invoiceno",
                "invoice",
                "orderid",
                "order",
                "invoiceid",
                "transactionid",
                "basketid",
            ],
            Role::Session => &["usersession", "sessionid", "session", "visitid"],
            Role::Category => &[
                "category",
                "categoryid",
                "categorycode",
                "cat",
                "categoryname",
                "department",
                "genre",
            ],
            Role::Text => &[
                "reviewtext",
                "review",
                "text",
                "verifiedreviews",
                "comment",
                "content",
                "body",
                "reviewbody",
                "sentence",
            ],
            Role::Label => &[
                "label",
                "sentiment",
                "polarity",
                "feedback",
                "target",
                "class",
                "ispositive",
            ],
            Role::Offset => &["timeframe", "timeoffset", "offsetms"],
            Role::Reward => &[
                "reward",
                "click",
                "clicked",
                "clicks",
                "converted",
                "conversion",
            ],
            Role::Propensity => &[
                "propensityscore",
                "propensity",
                "pscore",
                "loggingprobability",
                "actionprobability",
            ],
            Role::Position => &["position", "slot", "slotid"],
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Column names (normalised) that hold an item's name or description:
/// what item lists show, not review text.
pub const ITEM_NAME_COLUMNS: &[&str] = &[
    "name",
    "title",
    "productname",
    "producttitle",
    "itemname",
    "description",
];

/// Whether `column` is named like an item's name or description.
pub fn is_item_name_column(column: &str) -> bool {
    ITEM_NAME_COLUMNS.contains(&normalise_name(column).as_str())
}

pub fn normalise_name(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Role → column name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnRoles(pub BTreeMap<Role, String>);

impl ColumnRoles {
    pub fn get(&self, role: Role) -> Option<&str> {
        self.0.get(&role).map(String::as_str)
    }

    pub fn set(&mut self, role: Role, column: Option<String>) {
        match column {
            Some(c) => {
                self.0.insert(role, c);
            }
            None => {
                self.0.remove(&role);
            }
        }
    }

    /// Roles of `column` (a column may serve as both user and session).
    pub fn roles_of(&self, column: &str) -> Vec<Role> {
        self.0
            .iter()
            .filter(|(_, c)| c.as_str() == column)
            .map(|(r, _)| *r)
            .collect()
    }
}

/// Assign roles from column names, then from content for roles still missing.
/// `preset` (from a known format) is applied first and never overridden.
pub fn infer_roles(df: &DataFrame, preset: &[(Role, &str)]) -> ColumnRoles {
    let mut roles = ColumnRoles::default();
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut taken: std::collections::HashSet<String> = Default::default();
    for (role, column) in preset {
        if names.iter().any(|n| n == column) {
            roles.0.insert(*role, (*column).to_owned());
            taken.insert((*column).to_owned());
        }
    }
    let normalised: Vec<String> = names.iter().map(|n| normalise_name(n)).collect();
    for role in Role::ALL {
        if roles.0.contains_key(&role) {
            continue;
        }
        'aliases: for alias in role.aliases() {
            for (name, norm) in names.iter().zip(&normalised) {
                if norm == alias && !taken.contains(name) {
                    roles.0.insert(role, name.clone());
                    taken.insert(name.clone());
                    break 'aliases;
                }
            }
        }
    }
    infer_from_content(df, &names, &mut roles, &mut taken);
    roles
}

/// Look at values for columns whose names said nothing.
fn infer_from_content(
    df: &DataFrame,
    names: &[String],
    roles: &mut ColumnRoles,
    taken: &mut std::collections::HashSet<String>,
) {
    let sample_rows = df.height().min(500);
    for name in names {
        if taken.contains(name) {
            continue;
        }
        let Ok(column) = df.column(name) else {
            continue;
        };
        let sample = column.head(Some(sample_rows));
        let dtype = sample.dtype().clone();
        let role = if dtype.is_integer() {
            let Ok(cast) = sample.cast(&DataType::Int64) else {
                continue;
            };
            let Ok(values) = cast.i64() else { continue };
            let values: Vec<i64> = values.iter().flatten().collect();
            let all_in = |lo: i64, hi: i64| {
                !values.is_empty() && values.iter().all(|v| (lo..=hi).contains(v))
            };
            // Unix seconds 2000-01-01..2040, or milliseconds in the same range.
            if all_in(946_684_800, 2_208_988_800) || all_in(946_684_800_000, 2_208_988_800_000) {
                Some(Role::Timestamp)
            } else {
                None
            }
        } else if dtype == DataType::String {
            let Ok(values) = sample.str() else { continue };
            let values: Vec<&str> = values.iter().flatten().collect();
            if values.is_empty() {
                None
            } else if values
                .iter()
                .all(|v| super::events::EventKind::recognise(v).is_some())
            {
                Some(Role::Event)
            } else if values
                .iter()
                .all(|v| super::timestamp::parse_any(v).is_some())
            {
                Some(Role::Timestamp)
            } else {
                let mean_chars = values.iter().map(|v| v.chars().count()).sum::<usize>() as f64
                    / values.len() as f64;
                let wordy = values
                    .iter()
                    .filter(|v| v.contains(' ') || v.chars().any(is_cjk))
                    .count() as f64
                    >= 0.5 * values.len() as f64;
                // A product's description beside no label or rating is the
                // item's name for lists, not a review to classify.
                let reviews_beside =
                    roles.get(Role::Label).is_some() || roles.get(Role::Rating).is_some();
                let item_text = is_item_name_column(name) && !reviews_beside;
                (mean_chars >= 25.0 && wordy && !item_text).then_some(Role::Text)
            }
        } else {
            None
        };
        if let Some(role) = role {
            if let std::collections::btree_map::Entry::Vacant(slot) = roles.0.entry(role) {
                slot.insert(name.clone());
                taken.insert(name.clone());
            }
        }
    }
}

/// Chinese, Japanese or Korean ideographs, kana and hangul.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_cover_the_common_public_names() {
        let df = df!(
            "visitorid" => [1i64, 2],
            "itemid" => [3i64, 4],
            "event" => ["view", "addtocart"],
            "timestamp" => [1_433_221_332_117i64, 1_433_224_214_164],
        )
        .unwrap();
        let roles = infer_roles(&df, &[]);
        assert_eq!(roles.get(Role::User), Some("visitorid"));
        assert_eq!(roles.get(Role::Item), Some("itemid"));
        assert_eq!(roles.get(Role::Event), Some("event"));
        assert_eq!(roles.get(Role::Timestamp), Some("timestamp"));
    }

    #[test]
    fn customer_id_with_space_and_stockcode() {
        let df = df!("Customer ID" => [1i64], "StockCode" => ["85123A"], "overall" => [5.0], "reviewText" => ["ok"]).unwrap();
        let roles = infer_roles(&df, &[]);
        assert_eq!(roles.get(Role::User), Some("Customer ID"));
        assert_eq!(roles.get(Role::Item), Some("StockCode"));
        assert_eq!(roles.get(Role::Rating), Some("overall"));
        assert_eq!(roles.get(Role::Text), Some("reviewText"));
    }

    #[test]
    fn content_finds_unix_times_events_and_text() {
        let df = df!(
            "a" => [1_511_544_070i64, 1_511_561_733],
            "b" => ["pv", "buy"],
            "c" => ["this product is really good value", "terrible, it broke after two days"],
        )
        .unwrap();
        let roles = infer_roles(&df, &[]);
        assert_eq!(roles.get(Role::Timestamp), Some("a"));
        assert_eq!(roles.get(Role::Event), Some("b"));
        assert_eq!(roles.get(Role::Text), Some("c"));
    }

    #[test]
    fn a_product_description_is_not_review_text_without_labels_or_ratings() {
        let description = [
            "WHITE HANGING HEART T-LIGHT HOLDER",
            "CREAM CUPID HEARTS COAT HANGER SET",
        ];
        let orders = df!("StockCode" => ["85123A", "22111"], "Description" => description).unwrap();
        assert_eq!(infer_roles(&orders, &[]).get(Role::Text), None);
        let reviews = df!(
            "asin" => ["a", "b"],
            "overall" => [5.0, 1.0],
            "description" => ["this product is really good value", "terrible, it broke after two days"],
        )
        .unwrap();
        assert_eq!(
            infer_roles(&reviews, &[]).get(Role::Text),
            Some("description")
        );
    }
}
