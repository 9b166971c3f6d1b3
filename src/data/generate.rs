//! `shoplens generate`: a synthetic store with the structure real stores have, so
//! every feature can be demonstrated and tested without shipping anyone's data.
//!
//! - Item popularity follows a power law (Zipf-like, exponent ≈ 1.1).
//! - Every user has a taste: two favourite categories take most of their views.
//! - Browsing goes in sessions: views (often of items next to each other in the
//!   same category, which gives item-to-item structure), some added to the cart,
//!   some of those bought. Users differ in activity, spend and purchase intent.
//! - Users join on some day and may churn, so cohorts and recency exist.
//! - A share of purchases gets a review (English or Chinese) whose wording agrees
//!   with its stars; stars depend on a hidden item quality.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use rand::distributions::{Distribution, WeightedIndex};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::timestamp::format_iso;

#[derive(Clone, Debug)]
pub struct GenerateParams {
    pub users: usize,
    pub items: usize,
    pub events: usize,
    pub seed: u64,
    pub out: PathBuf,
    /// Where item pictures go (default `OUT/images`).
    pub image_dir: Option<PathBuf>,
}

impl GenerateParams {
    pub fn validate(&self) -> Result<(), String> {
        if self.users == 0 {
            return Err("--users must be at least 1".into());
        }
        if self.items < 2 {
            return Err("--items must be at least 2".into());
        }
        if self.events == 0 {
            return Err("--events must be at least 1".into());
        }
        if self.users > 50_000_000 || self.items > 50_000_000 {
            return Err("--users and --items are limited to 50,000,000".into());
        }
        Ok(())
    }
}

#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct GenerateSummary {
    pub events: usize,
    pub users: usize,
    pub items: usize,
    pub reviews: usize,
    pub purchases: usize,
    pub images: usize,
}

pub const CATEGORIES: [(&str, &str, &[&str]); 12] = [
    (
        "Electronics",
        "数码",
        &[
            "Headphones",
            "Charger",
            "Speaker",
            "Keyboard",
            "Webcam",
            "Tablet",
        ],
    ),
    (
        "Books",
        "书籍",
        &[
            "Novel",
            "Cookbook",
            "Atlas",
            "Biography",
            "Notebook",
            "Comic",
        ],
    ),
    (
        "Clothing",
        "服装",
        &["T-shirt", "Jacket", "Sweater", "Dress", "Scarf", "Jeans"],
    ),
    (
        "Home",
        "家居",
        &["Lamp", "Cushion", "Mug", "Blanket", "Vase", "Clock"],
    ),
    (
        "Beauty",
        "美妆",
        &[
            "Lipstick",
            "Face cream",
            "Shampoo",
            "Perfume",
            "Mascara",
            "Soap",
        ],
    ),
    (
        "Sports",
        "运动",
        &["Yoga mat", "Dumbbell", "Bottle", "Racket", "Ball", "Helmet"],
    ),
    (
        "Toys",
        "玩具",
        &["Puzzle", "Robot", "Doll", "Blocks", "Kite", "Board game"],
    ),
    (
        "Grocery",
        "食品",
        &[
            "Coffee",
            "Tea",
            "Chocolate",
            "Honey",
            "Olive oil",
            "Granola",
        ],
    ),
    (
        "Shoes",
        "鞋子",
        &[
            "Sneakers", "Boots", "Sandals", "Slippers", "Loafers", "Runners",
        ],
    ),
    (
        "Garden",
        "园艺",
        &[
            "Planter",
            "Seeds",
            "Hose",
            "Gloves",
            "Shears",
            "Bird feeder",
        ],
    ),
    (
        "Music",
        "音乐",
        &[
            "Guitar strings",
            "Vinyl",
            "Ukulele",
            "Drumsticks",
            "Capo",
            "Tuner",
        ],
    ),
    (
        "Pets",
        "宠物",
        &[
            "Dog toy", "Cat bed", "Leash", "Pet food", "Aquarium", "Collar",
        ],
    ),
];

const ADJECTIVES: [&str; 12] = [
    "Classic", "Deluxe", "Compact", "Eco", "Premium", "Everyday", "Smart", "Vintage", "Sport",
    "Mini", "Pro", "Soft",
];

const BASE_PRICES: [f64; 12] = [
    60.0, 14.0, 30.0, 25.0, 18.0, 28.0, 22.0, 9.0, 55.0, 16.0, 20.0, 15.0,
];

/// First day of the generated period: 2024-01-01 UTC.
const START_SECS: i64 = 1_704_067_200;
const DAYS: i64 = 120;

struct Item {
    category: usize,
    name: String,
    price: f64,
    /// Hidden quality in [-1, 1]: drives stars.
    quality: f64,
}

struct User {
    tastes: [usize; 2],
    /// Relative activity (heavy-tailed).
    activity: f64,
    /// Purchase intent multiplier.
    intent: f64,
    join_day: i64,
    last_day: i64,
    chinese: bool,
}

struct Event {
    time: i64,
    kind: u8, // 0 view, 1 cart, 2 purchase
    user: u32,
    item: u32,
    session: u32,
    quantity: u8,
}

pub fn user_id(u: usize) -> u64 {
    100_000 + u as u64
}

pub fn item_id(i: usize) -> u64 {
    1_000 + i as u64
}

pub fn generate(
    params: &GenerateParams,
    progress: &dyn Fn(f32, &str),
) -> Result<GenerateSummary, String> {
    params.validate()?;
    std::fs::create_dir_all(&params.out)
        .map_err(|e| format!("{}: cannot create folder ({e})", params.out.display()))?;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(params.seed);
    let n_cat = CATEGORIES.len();

    // Items: category, power-law popularity via a random rank.
    let mut items = Vec::with_capacity(params.items);
    for i in 0..params.items {
        let category = i % n_cat;
        let (_, _, nouns) = CATEGORIES[category];
        let noun = nouns[(i / n_cat) % nouns.len()];
        let adjective = ADJECTIVES[(i / (n_cat * nouns.len())) % ADJECTIVES.len()];
        let price = (BASE_PRICES[category] * (0.4 + 1.6 * rng.gen::<f64>()).powf(1.3) * 100.0)
            .round()
            / 100.0;
        let quality = (rng.gen::<f64>() * 2.0 - 1.0).clamp(-1.0, 1.0);
        items.push(Item {
            category,
            // A shop's names, not ids: "Eco Sandals". Past every adjective
            // and noun (864 items) a series number keeps names distinct.
            name: match i / (n_cat * nouns.len() * ADJECTIVES.len()) {
                0 => format!("{adjective} {noun}"),
                series => format!("{adjective} {noun} {}", series + 1),
            },
            price: price.max(0.99),
            quality,
        });
    }
    let mut ranks: Vec<usize> = (0..params.items).collect();
    for i in (1..ranks.len()).rev() {
        ranks.swap(i, rng.gen_range(0..=i));
    }
    let popularity: Vec<f64> = ranks
        .iter()
        .map(|&r| 1.0 / (r as f64 + 5.0).powf(1.1))
        .collect();
    let mut by_category: Vec<Vec<usize>> = vec![Vec::new(); n_cat];
    for (i, it) in items.iter().enumerate() {
        by_category[it.category].push(i);
    }
    let category_pickers: Vec<Option<WeightedIndex<f64>>> = by_category
        .iter()
        .map(|list| WeightedIndex::new(list.iter().map(|&i| popularity[i])).ok())
        .collect();
    let global_picker = WeightedIndex::new(&popularity).map_err(|e| e.to_string())?;

    // Users: tastes, heavy-tailed activity, cohorts and churn.
    let users: Vec<User> = (0..params.users)
        .map(|_| {
            let a = rng.gen_range(0..n_cat);
            let b = (a + rng.gen_range(1..n_cat)) % n_cat;
            let pareto = (1.0 - rng.gen::<f64>()).powf(-1.0 / 1.6); // ≥ 1, heavy tail
            let join_day = (rng.gen::<f64>().powf(1.5) * (DAYS as f64 * 0.8)) as i64;
            let stays = rng.gen::<f64>() < 0.55;
            let last_day = if stays {
                DAYS - 1
            } else {
                (join_day + 7 + rng.gen_range(0..(DAYS - join_day).max(8))).min(DAYS - 1)
            };
            User {
                tastes: [a, b],
                activity: pareto.min(200.0),
                intent: 0.4 + 1.6 * rng.gen::<f64>().powi(2),
                join_day,
                last_day,
                chinese: rng.gen::<f64>() < 0.3,
            }
        })
        .collect();
    let user_picker =
        WeightedIndex::new(users.iter().map(|u| u.activity)).map_err(|e| e.to_string())?;

    progress(0.05, "simulating sessions");
    let mut events: Vec<Event> = Vec::with_capacity(params.events + 64);
    let mut session: u32 = 0;
    while events.len() < params.events {
        let u = user_picker.sample(&mut rng);
        let user = &users[u];
        session += 1;
        let day = rng.gen_range(user.join_day..=user.last_day);
        // Evenings are busier.
        let hour = if rng.gen::<f64>() < 0.6 {
            rng.gen_range(17..23)
        } else {
            rng.gen_range(7..23)
        };
        let mut t = START_SECS + day * 86_400 + hour * 3_600 + rng.gen_range(0..3_600);
        let views = 1 + (-(rng.gen::<f64>().max(1e-12)).ln() * 3.0) as usize;
        let mut current: Option<usize> = None;
        for _ in 0..views {
            if events.len() >= params.events {
                break;
            }
            let item = next_item(
                &mut rng,
                user,
                current,
                &items,
                &by_category,
                &category_pickers,
                &global_picker,
            );
            current = Some(item);
            push(&mut events, t, 0, u, item, session, 0);
            t += rng.gen_range(8..180);
            let quality_pull = 1.0 + 0.5 * items[item].quality;
            if rng.gen::<f64>() < 0.09 * user.intent * quality_pull && events.len() < params.events
            {
                push(&mut events, t, 1, u, item, session, 1);
                t += rng.gen_range(5..90);
                if rng.gen::<f64>() < 0.5 * quality_pull.min(1.4) && events.len() < params.events {
                    let quantity = if rng.gen::<f64>() < 0.8 {
                        1
                    } else {
                        rng.gen_range(2..=4)
                    };
                    push(&mut events, t, 2, u, item, session, quantity);
                    t += rng.gen_range(5..60);
                }
            }
        }
        if session.is_multiple_of(50_000) {
            progress(
                0.05 + 0.45 * events.len() as f32 / params.events as f32,
                "simulating sessions",
            );
        }
    }
    events.sort_by_key(|e| (e.time, e.session));

    progress(0.5, "writing events.csv");
    let mut summary = GenerateSummary {
        events: events.len(),
        users: params.users,
        items: params.items,
        ..Default::default()
    };
    write_events(
        &params.out.join("events.csv"),
        &events,
        &items,
        &mut summary,
    )?;
    progress(0.85, "writing reviews.csv");
    summary.reviews = write_reviews(
        &params.out.join("reviews.csv"),
        &events,
        &items,
        &users,
        &mut rng,
    )?;
    progress(0.9, "writing items.csv and pictures");
    let image_dir = params
        .image_dir
        .clone()
        .unwrap_or_else(|| params.out.join("images"));
    summary.images = write_items(&params.out, &image_dir, &items)?;
    progress(1.0, "done");
    Ok(summary)
}

fn push(
    events: &mut Vec<Event>,
    time: i64,
    kind: u8,
    user: usize,
    item: usize,
    session: u32,
    quantity: u8,
) {
    events.push(Event {
        time,
        kind,
        user: user as u32,
        item: item as u32,
        session,
        quantity,
    });
}

/// The next viewed item: often a neighbour of the current one (same category,
/// adjacent in the catalogue: "customers who viewed this also viewed"), mostly
/// from the user's favourite categories, sometimes anything popular.
fn next_item(
    rng: &mut Xoshiro256PlusPlus,
    user: &User,
    current: Option<usize>,
    items: &[Item],
    by_category: &[Vec<usize>],
    pickers: &[Option<WeightedIndex<f64>>],
    global: &WeightedIndex<f64>,
) -> usize {
    let r: f64 = rng.gen();
    if let Some(cur) = current {
        if r < 0.35 {
            let list = &by_category[items[cur].category];
            if let Some(pos) = list.iter().position(|&i| i == cur) {
                let step = rng.gen_range(1..=3);
                let next = if rng.gen::<bool>() {
                    pos + step
                } else {
                    pos + list.len() - step
                };
                return list[next % list.len()];
            }
        }
    }
    let category = if r < 0.85 {
        user.tastes[usize::from(rng.gen::<f64>() < 0.35)]
    } else {
        return global.sample(rng);
    };
    match &pickers[category] {
        Some(p) => by_category[category][p.sample(rng)],
        None => global.sample(rng),
    }
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> String + '_ {
    move |e| format!("{}: cannot write ({e})", path.display())
}

fn write_events(
    path: &Path,
    events: &[Event],
    items: &[Item],
    summary: &mut GenerateSummary,
) -> Result<(), String> {
    let file = File::create(path).map_err(io_err(path))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    writeln!(
        w,
        "event_time,event_type,user_id,item_id,session_id,price,quantity"
    )
    .map_err(io_err(path))?;
    let mut last_day = i64::MIN;
    let mut day_prefix = String::new();
    for e in events {
        // Format the date once per day; the time of day by hand (fast for 10M rows).
        let day = e.time.div_euclid(86_400);
        if day != last_day {
            last_day = day;
            day_prefix = format_iso(day * 86_400)[..10].to_owned();
        }
        let sod = e.time.rem_euclid(86_400);
        let kind = ["view", "cart", "purchase"][e.kind as usize];
        let price = items[e.item as usize].price;
        if e.kind == 2 {
            summary.purchases += 1;
            writeln!(
                w,
                "{day_prefix} {:02}:{:02}:{:02},{kind},{},{},{},{price:.2},{}",
                sod / 3600,
                (sod / 60) % 60,
                sod % 60,
                user_id(e.user as usize),
                item_id(e.item as usize),
                e.session,
                e.quantity
            )
        } else {
            writeln!(
                w,
                "{day_prefix} {:02}:{:02}:{:02},{kind},{},{},{},{price:.2},",
                sod / 3600,
                (sod / 60) % 60,
                sod % 60,
                user_id(e.user as usize),
                item_id(e.item as usize),
                e.session
            )
        }
        .map_err(io_err(path))?;
    }
    w.flush().map_err(io_err(path))
}

const EN_POSITIVE: [&str; 10] = [
    "Absolutely love this {p}, works perfectly.",
    "Great quality and fast delivery, highly recommend.",
    "Excellent {p}, exactly as described.",
    "Really happy with it, great value for money.",
    "Fantastic {p}! Would buy again.",
    "Beautiful and well made, I am very pleased.",
    "Perfect gift, my family loves it.",
    "Superb {p}, better than expected.",
    "Works great and looks amazing.",
    "Very good product, five stars from me.",
];
const EN_NEGATIVE: [&str; 10] = [
    "Terrible {p}, it broke after two days.",
    "Poor quality, not worth the money.",
    "Very disappointed, the {p} does not work.",
    "Awful, arrived damaged and support was useless.",
    "Cheap and flimsy, I returned it.",
    "Waste of money, do not buy this {p}.",
    "Bad experience, the {p} stopped working.",
    "Horrible quality, nothing like the pictures.",
    "Worst purchase this year, very unhappy.",
    "Defective {p}, complete rubbish.",
];
const EN_NEUTRAL: [&str; 5] = [
    "The {p} is okay, nothing special.",
    "Average quality, it does the job.",
    "Fine for the price but a bit small.",
    "Decent {p}, delivery was slow though.",
    "Not bad, not great either.",
];
const ZH_POSITIVE: [&str; 8] = [
    "{p}质量很好，非常满意！",
    "物流很快，东西很不错，推荐购买。",
    "性价比很高，{p}用起来很舒服。",
    "非常喜欢这个{p}，还会再买。",
    "做工精细，和描述的一样，好评！",
    "包装很好，{p}效果超出预期。",
    "很好用，家人都很喜欢。",
    "质量不错，卖家服务态度也好。",
];
const ZH_NEGATIVE: [&str; 8] = [
    "{p}质量太差了，用了两天就坏了。",
    "非常失望，和图片完全不一样。",
    "做工粗糙，不值这个价钱。",
    "收到就是坏的，客服也不理人，差评。",
    "太差了，{p}根本不能用。",
    "垃圾产品，不要买。",
    "物流很慢，东西也很一般，很不满意。",
    "质量很差，已经退货了。",
];
const ZH_NEUTRAL: [&str; 4] = [
    "{p}一般般，凑合用吧。",
    "还行，没有想象中好。",
    "东西可以，就是物流有点慢。",
    "价格还可以，质量一般。",
];

/// Real reviews are not all clear-cut: praise with a complaint, a complaint
/// with something nice, and now and then stars that contradict the words.
const EN_MIXED_POSITIVE: [&str; 4] = [
    "Nice {p}, although delivery was slow.",
    "Works well, the box was damaged but the {p} is fine.",
    "Pretty solid, a bit expensive though.",
    "Took a while to arrive, but I am satisfied with the {p}.",
];
const EN_MIXED_NEGATIVE: [&str; 4] = [
    "Looks nice but it stopped charging after a week.",
    "Fast shipping, shame the {p} is so flimsy.",
    "The colour is pretty, the quality is not.",
    "Nice idea, but the {p} feels cheap and rattles.",
];
const ZH_MIXED_POSITIVE: [&str; 2] = ["{p}还可以，就是物流慢了点。", "东西挺好，包装有点破损。"];
const ZH_MIXED_NEGATIVE: [&str; 2] = [
    "外观好看，可惜用了一周就坏了。",
    "发货挺快，但是{p}做工粗糙。",
];
/// Shares of reviews written in a mixed tone, and with the opposite wording.
const MIXED_SHARE: f64 = 0.12;
const CONTRADICTING_SHARE: f64 = 0.03;

fn write_reviews(
    path: &Path,
    events: &[Event],
    items: &[Item],
    users: &[User],
    rng: &mut Xoshiro256PlusPlus,
) -> Result<usize, String> {
    let file = File::create(path).map_err(io_err(path))?;
    let mut w = BufWriter::new(file);
    writeln!(w, "review_time,user_id,item_id,stars,lang,review").map_err(io_err(path))?;
    let mut n = 0;
    // Keep the review file a manageable size on huge stores.
    let max_reviews = 200_000;
    // Small stores review every purchase so a sentiment model has enough text.
    let purchases = events.iter().filter(|e| e.kind == 2).count().max(1);
    let share = (3_000.0 / purchases as f64).clamp(0.35, 1.0);
    // Tone noise from its own stream, so which purchases get a review (and
    // every other file) stays as it was.
    let mut tone = rng.clone();
    tone.jump();
    for e in events.iter().filter(|e| e.kind == 2) {
        if n >= max_reviews || rng.gen::<f64>() > share {
            continue;
        }
        let item = &items[e.item as usize];
        let user = &users[e.user as usize];
        let score = 3.0 + 1.8 * item.quality + rng.gen_range(-1.2..1.2);
        let stars = score.round().clamp(1.0, 5.0) as u8;
        let (_, zh_name, nouns) = CATEGORIES[item.category];
        // The main stream draws exactly as before the tone noise existed.
        let (clear, mixed, contradicting): (&[&str], &[&str], &[&str]) = match (user.chinese, stars)
        {
            (true, 4 | 5) => (&ZH_POSITIVE, &ZH_MIXED_POSITIVE, &ZH_NEGATIVE),
            (true, 1 | 2) => (&ZH_NEGATIVE, &ZH_MIXED_NEGATIVE, &ZH_POSITIVE),
            (true, _) => (&ZH_NEUTRAL, &ZH_NEUTRAL, &ZH_NEUTRAL),
            (false, 4 | 5) => (&EN_POSITIVE, &EN_MIXED_POSITIVE, &EN_NEGATIVE),
            (false, 1 | 2) => (&EN_NEGATIVE, &EN_MIXED_NEGATIVE, &EN_POSITIVE),
            (false, _) => (&EN_NEUTRAL, &EN_NEUTRAL, &EN_NEUTRAL),
        };
        let mut template = clear[rng.gen_range(0..clear.len())];
        let roll = tone.gen::<f64>();
        if roll < MIXED_SHARE {
            template = mixed[tone.gen_range(0..mixed.len())];
        } else if roll < MIXED_SHARE + CONTRADICTING_SHARE {
            template = contradicting[tone.gen_range(0..contradicting.len())];
        }
        let text = if user.chinese {
            template.replace("{p}", zh_name)
        } else {
            let noun = nouns[(e.item as usize / CATEGORIES.len()) % nouns.len()].to_lowercase();
            template.replace("{p}", &noun)
        };
        let when = e.time + rng.gen_range(2..10) * 86_400;
        let when = format_iso(when);
        writeln!(
            w,
            "{} {},{},{},{stars},{},\"{}\"",
            &when[..10],
            &when[11..19],
            user_id(e.user as usize),
            item_id(e.item as usize),
            if user.chinese { "zh" } else { "en" },
            text.replace('"', "\"\"")
        )
        .map_err(io_err(path))?;
        n += 1;
    }
    w.flush().map_err(io_err(path))?;
    Ok(n)
}

/// items.csv, plus a picture per item (per category for big catalogues).
fn write_items(out: &Path, image_dir: &Path, items: &[Item]) -> Result<usize, String> {
    std::fs::create_dir_all(image_dir)
        .map_err(|e| format!("{}: cannot create folder ({e})", image_dir.display()))?;
    let per_item = items.len() <= 2_000;
    let relative_dir = relative_to(image_dir, out);
    let path = out.join("items.csv");
    let file = File::create(&path).map_err(io_err(&path))?;
    let mut w = BufWriter::new(file);
    writeln!(w, "item_id,name,category,price,image").map_err(io_err(&path))?;
    let mut images = 0;
    for (i, item) in items.iter().enumerate() {
        let file_name = if per_item {
            format!("item_{}.png", item_id(i))
        } else {
            format!("category_{}.png", item.category)
        };
        let image_path = image_dir.join(&file_name);
        if per_item || !image_path.exists() {
            draw_item_picture(i, item.category)
                .save(&image_path)
                .map_err(|e| format!("{}: {e}", image_path.display()))?;
            images += 1;
        }
        writeln!(
            w,
            "{},\"{}\",{},{:.2},{}",
            item_id(i),
            item.name,
            CATEGORIES[item.category].0,
            item.price,
            relative_dir.join(&file_name).display()
        )
        .map_err(io_err(&path))?;
    }
    w.flush().map_err(io_err(&path))?;
    Ok(images)
}

/// `target` expressed relative to `base` when both are relative paths.
fn relative_to(target: &Path, base: &Path) -> PathBuf {
    if let Ok(rest) = target.strip_prefix(base) {
        return rest.to_path_buf();
    }
    if target.is_relative() && base.is_relative() {
        let ups = base
            .components()
            .filter(|c| matches!(c, std::path::Component::Normal(_)))
            .count();
        let mut p = PathBuf::new();
        for _ in 0..ups {
            p.push("..");
        }
        return p.join(target);
    }
    target.to_path_buf()
}

/// Colour of a category (evenly spaced hues).
pub fn category_colour(category: usize) -> [u8; 3] {
    hsv(category as f32 / CATEGORIES.len() as f32, 0.55, 0.85)
}

fn hsv(h: f32, s: f32, v: f32) -> [u8; 3] {
    let i = (h * 6.0).floor();
    let f = h * 6.0 - i;
    let (p, q, t) = (v * (1.0 - s), v * (1.0 - f * s), v * (1.0 - (1.0 - f) * s));
    let (r, g, b) = match i as i32 % 6 {
        0 => (v, t, p),
        1 => (q, v, p),
        2 => (p, v, t),
        3 => (p, q, v),
        4 => (t, p, v),
        _ => (v, p, q),
    };
    [(r * 255.0) as u8, (g * 255.0) as u8, (b * 255.0) as u8]
}

/// A 64×64 product picture: category colour, a shape that varies by item.
pub fn draw_item_picture(item: usize, category: usize) -> image::RgbImage {
    let [r, g, b] = category_colour(category);
    let light = [r / 2 + 127, g / 2 + 127, b / 2 + 127];
    let dark = [r / 2, g / 2, b / 2];
    let shape = item % 4;
    image::RgbImage::from_fn(64, 64, |x, y| {
        let (fx, fy) = (x as f32 - 31.5, y as f32 - 31.5);
        let inside = match shape {
            0 => fx * fx + fy * fy < 22.0 * 22.0,
            1 => fx.abs() < 18.0 && fy.abs() < 18.0,
            2 => fy > -20.0 && fy < 18.0 && fx.abs() < (fy + 20.0) * 0.55,
            _ => (fx.abs() + fy.abs()) < 24.0,
        };
        let stripe = (x + y + item as u32 * 3) % 16 < 2;
        image::Rgb(if inside {
            if stripe {
                dark
            } else {
                [r, g, b]
            }
        } else {
            light
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_for_images() {
        assert_eq!(
            relative_to(Path::new("out/images"), Path::new("out")),
            PathBuf::from("images")
        );
        assert_eq!(
            relative_to(Path::new("assets/items"), Path::new("sample_data")),
            PathBuf::from("../assets/items")
        );
    }

    #[test]
    fn invalid_params_are_rejected() {
        let p = GenerateParams {
            users: 0,
            items: 10,
            events: 10,
            seed: 1,
            out: PathBuf::from("x"),
            image_dir: None,
        };
        assert!(p.validate().unwrap_err().contains("--users"));
    }
}
