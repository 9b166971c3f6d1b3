//! The Segments tab: every customer scored by recency, frequency and spend and
//! placed in a named RFM segment; a k scan with elbow and silhouette curves;
//! k-means clusters described in plain words, on a 2-D map, listed per
//! cluster and exported; and engagement (funnel, active users, retention).
//! Customers, the scan and the fits run on workers through the workbench
//! (`segment::task`); this tab builds the requests and draws the results.

use std::path::PathBuf;
use std::sync::Arc;

use eframe::egui;
use egui_plot::{Legend, Line, PlotPoints, Points};

use super::params_ui::params_ui;
use super::plots::{chart, chart_footer};
use super::tabs::{Tab, TourStep};
use super::widgets::{header_row, job_buttons, main_area, own_run, seed_ui, side_panel, OwnRun};
use super::TabContext;
use crate::data::profile::Funnel;
use crate::demo::state::Outcome;
use crate::demo::tour::Action;
use crate::runs::RunEntry;
use crate::segment::clusters::ScanPoint;
use crate::segment::engagement::Period;
use crate::segment::settings::SegmentSettings;
use crate::segment::task::Customers;
use crate::segment::SegmentFit;
use crate::task::EpochEvent;
use crate::workbench::{Command, Event, ExportJob, JobKind, RunRequest, SideJob, Then, Workbench};

/// The tab's id.
pub(crate) const ID: &str = "segments";
const LIST_ROWS: usize = 200;
const JOB: JobKind = JobKind::Train(crate::segment::KIND);
/// Scoring the loaded file's customers.
const CUSTOMERS: JobKind = JobKind::Prepare(crate::segment::KIND);
const SCAN: JobKind = JobKind::Side("scan");
const EXPORT: JobKind = JobKind::Export("customers");

/// Score the loaded file's customers unless that was asked for it already.
pub(crate) fn ensure_customers() -> Command {
    Command::Side(SideJob::prepare(crate::segment::KIND, Customers::prepare))
}

pub(crate) struct SegmentsTab {
    pub settings: SegmentSettings,
    /// A saved clustering waiting for its customers to be computed.
    pub pending_fit: Option<Arc<SegmentFit>>,
    /// Replace customer ids by salted hashes in the export.
    pub pseudonymise: bool,
    pub scan: Vec<ScanPoint>,
    pub fit: Option<Arc<SegmentFit>>,
    pub selected_cluster: Option<usize>,
    pub export_path: String,
    pub message: Option<String>,
    hovered: Option<usize>,
    /// Cohorts by week or by month.
    cohort_period: Period,
}

impl Default for SegmentsTab {
    fn default() -> Self {
        Self {
            settings: SegmentSettings::default(),
            pending_fit: None,
            pseudonymise: false,
            scan: Vec::new(),
            fit: None,
            selected_cluster: None,
            export_path: "segments.csv".into(),
            message: None,
            hovered: None,
            cohort_period: Period::Week,
        }
    }
}

/// A scan point drawn like a live one (epoch = k).
fn scan_point_epoch(p: &ScanPoint) -> EpochEvent {
    EpochEvent {
        epoch: p.k,
        loss: p.inertia,
        metric: Some(("silhouette".into(), p.silhouette)),
        secs: 0.0,
    }
}

impl SegmentsTab {
    pub(crate) fn start_scan(&mut self, ctx: &mut TabContext) {
        let Some(customers) = ctx.bench.side::<Customers>() else {
            return;
        };
        let from = self.settings.scan_from.max(2);
        let ks = from..=self.settings.scan_to.max(from);
        let features = customers.usable(&self.settings.features);
        let params = self.settings.params.clone();
        self.message = None;
        ctx.send(Command::Side(SideJob::new(
            SCAN,
            "Scanning k",
            Then::Announce,
            move |_, r| {
                let points = crate::segment::task::scan(&customers, &features, &params, ks, r)?;
                Ok(Arc::new(points))
            },
        )));
    }

    fn start_fit(&mut self, ctx: &mut TabContext) {
        match self
            .settings
            .request(&ctx.bench.data_context(), self.settings.params.clone())
        {
            Ok(request) => {
                self.message = None;
                ctx.send(Command::Run(RunRequest::new(request)));
            }
            Err(e) => self.message = Some(e),
        }
    }

    /// Show a saved clustering (from the Runs tab). It needs the customers
    /// it was made on: shown at once when they are loaded, otherwise kept until
    /// they are, with a message saying which file to open.
    pub fn show_fit(&mut self, fit: Arc<SegmentFit>, bench: &Workbench) {
        let matches = bench.side::<Customers>().is_some_and(|c| {
            c.dataset.path == fit.data.file
                && c.table.len() == fit.clustering.labels.len()
                && fit.features.iter().all(|f| c.table.get(*f).is_some())
        });
        if matches {
            self.settings.features = fit.features.clone();
            self.settings.params = fit.params.clone();
            self.fit = Some(fit);
            self.selected_cluster = None;
            self.message = None;
        } else {
            self.message = Some(format!(
                "This clustering was made on {} ({} customers); open that file to see it.",
                fit.data.file.display(),
                fit.clustering.labels.len()
            ));
            self.pending_fit = Some(fit);
        }
    }

    fn controls_ui(&mut self, ctx: &mut TabContext, customers: &Arc<Customers>, ui: &mut egui::Ui) {
        ui.heading("Customers");
        ui.label(format!(
            "{} customers in {}",
            crate::display::thousands(customers.table.len() as u64),
            crate::display::display_name(&customers.dataset.path)
        ));
        ui.add_space(4.0);
        ui.label(egui::RichText::new("Cluster on").strong());
        for f in customers.table.available() {
            let mut on = self.settings.features.contains(&f);
            if ui
                .checkbox(&mut on, f.name())
                .on_hover_text(f.describe())
                .changed()
            {
                if on {
                    self.settings.features.push(f);
                    self.settings.features.sort();
                } else {
                    self.settings.features.retain(|x| *x != f);
                }
            }
        }
        params_ui(ui, &mut self.settings.params, ctx.simple);
        seed_ui(ui, &mut self.settings.params.seed, None);
        ui.separator();
        ui.label(egui::RichText::new("Choose k").strong());
        ui.horizontal(|ui| {
            ui.label("from");
            ui.add(egui::DragValue::new(&mut self.settings.scan_from).range(2..=50));
            ui.label("to");
            ui.add(egui::DragValue::new(&mut self.settings.scan_to).range(2..=50));
        });
        if job_buttons(ui, ctx, "Scan k", "Cancel scan", SCAN) {
            self.start_scan(ctx);
        }
        if job_buttons(ui, ctx, "Train", "Cancel", JOB) {
            self.start_fit(ctx);
        }
        let exporting = ctx.bench.jobs().is_active(EXPORT);
        ui.separator();
        ui.label(egui::RichText::new("Export").strong());
        ui.add(egui::TextEdit::singleline(&mut self.export_path).hint_text("segments.csv"));
        ui.checkbox(&mut self.pseudonymise, "Pseudonymise customer ids")
            .on_hover_text(super::PSEUDONYM_TIP);
        if ui
            .add_enabled(
                self.fit.is_some() && !exporting,
                egui::Button::new("Export customers"),
            )
            .on_hover_text(
                "Every customer with their features, RFM scores and segment, and cluster",
            )
            .clicked()
        {
            if let Some(fit) = self.fit.clone() {
                let customers = Arc::clone(customers);
                let path = PathBuf::from(self.export_path.trim());
                ctx.send(Command::Export(ExportJob::new(
                    EXPORT,
                    self.pseudonymise,
                    move |pseudonym, _| {
                        crate::segment::export::write_clusters(&path, &customers, &fit, pseudonym)
                            .map_err(crate::task::TaskError::Input)
                    },
                )));
            }
        }
    }
}

pub fn cluster_colour(c: usize) -> egui::Color32 {
    const PALETTE: [egui::Color32; 10] = [
        egui::Color32::from_rgb(31, 119, 180),
        egui::Color32::from_rgb(255, 127, 14),
        egui::Color32::from_rgb(44, 160, 44),
        egui::Color32::from_rgb(214, 39, 40),
        egui::Color32::from_rgb(148, 103, 189),
        egui::Color32::from_rgb(140, 86, 75),
        egui::Color32::from_rgb(227, 119, 194),
        egui::Color32::from_rgb(127, 127, 127),
        egui::Color32::from_rgb(188, 189, 34),
        egui::Color32::from_rgb(23, 190, 207),
    ];
    PALETTE[c % PALETTE.len()]
}

fn rfm_ui(base: &Customers, ui: &mut egui::Ui) {
    ui.label(egui::RichText::new("RFM segments").strong());
    let rfm = match &base.rfm {
        Ok(r) => r,
        Err(e) => {
            ui.label(format!("No RFM segments: {e}"));
            return;
        }
    };
    crate::ui::exporter::csv_button(ui, "rfm segments", || {
        (
            vec![
                "segment".to_owned(),
                "customers".to_owned(),
                "share".to_owned(),
                "revenue_share".to_owned(),
                "mean_recency_days".to_owned(),
                "mean_frequency".to_owned(),
                "mean_monetary".to_owned(),
            ],
            rfm.table
                .iter()
                .map(|row| {
                    vec![
                        row.segment.to_string(),
                        row.size.to_string(),
                        row.share.to_string(),
                        row.revenue_share.to_string(),
                        row.mean_recency.to_string(),
                        row.mean_frequency.to_string(),
                        row.mean_monetary.map_or(String::new(), |m| m.to_string()),
                    ]
                })
                .collect(),
        )
    });
    egui::Grid::new("rfm_table").striped(true).show(ui, |ui| {
        for h in [
            "segment",
            "customers",
            "share",
            "revenue share",
            "mean R (days)",
            "mean F",
            "mean M",
        ] {
            ui.label(egui::RichText::new(h).strong());
        }
        ui.end_row();
        for row in &rfm.table {
            ui.label(&row.segment);
            ui.label(crate::display::thousands(row.size as u64));
            ui.label(format!("{:.1}%", row.share * 100.0));
            ui.label(format!("{:.1}%", row.revenue_share * 100.0));
            ui.label(format!("{:.0}", row.mean_recency));
            ui.label(format!("{:.1}", row.mean_frequency));
            ui.label(
                row.mean_monetary
                    .map_or("n/a".into(), |m| format!("{m:.0}")),
            );
            ui.end_row();
        }
    });
}

fn scan_ui(state: &mut SegmentsTab, ctx: &mut TabContext, ui: &mut egui::Ui) {
    ui.add_space(6.0);
    let jobs = ctx.bench.jobs();
    let live: Vec<EpochEvent> = if jobs.is_active(SCAN) {
        jobs.epochs(SCAN).to_vec()
    } else {
        state.scan.iter().map(scan_point_epoch).collect()
    };
    let heading = match live.len() {
        0 => "k scan".to_owned(),
        1 => "k scan (1 value of k)".to_owned(),
        n => format!("k scan ({n} values of k)"),
    };
    ui.label(egui::RichText::new(heading).strong());
    if live.is_empty() {
        ui.label("Scan k to see how well each number of clusters fits (elbow and silhouette).");
    }
    let inertia: Vec<[f64; 2]> = live.iter().map(|e| [e.epoch as f64, e.loss]).collect();
    let silhouettes: Vec<[f64; 2]> = live
        .iter()
        .filter_map(|e| e.metric.as_ref().map(|(_, v)| [e.epoch as f64, *v]))
        .collect();
    if !live.is_empty() {
        ui.columns(2, |cols| {
            scan_plot(
                &mut cols[0],
                "elbow",
                "inertia (elbow)",
                0,
                inertia,
                "elbow curve",
            );
            scan_plot(
                &mut cols[1],
                "silhouette",
                "silhouette (higher is better)",
                1,
                silhouettes,
                "silhouette curve",
            );
        });
    }
    if !state.scan.is_empty() {
        ui.horizontal_wrapped(|ui| {
            ui.label("Pick k:");
            let best = state
                .scan
                .iter()
                .max_by(|a, b| a.silhouette.total_cmp(&b.silhouette))
                .map(|p| p.k);
            for p in state.scan.clone() {
                let label = if Some(p.k) == best {
                    format!("k = {} (best silhouette)", p.k)
                } else {
                    format!("k = {}", p.k)
                };
                if ui
                    .selectable_label(state.settings.params.k == p.k, label)
                    .on_hover_text(format!(
                        "inertia {:.1}, silhouette {:.3}",
                        p.inertia, p.silhouette
                    ))
                    .clicked()
                {
                    state.settings.params.k = p.k;
                    state.start_fit(ctx);
                }
            }
        });
    }
}

/// One curve of the k scan, as a line with its points.
fn scan_plot(
    ui: &mut egui::Ui,
    id: &str,
    name: &str,
    colour: usize,
    points: Vec<[f64; 2]>,
    png_name: &str,
) {
    let colour = cluster_colour(colour);
    let png_plot = chart(ui, id, 150.0)
        .legend(Legend::default())
        .x_axis_label("k")
        .show(ui, |p| {
            p.line(Line::new(name, PlotPoints::from(points.clone())).color(colour));
            p.points(
                Points::new(name, PlotPoints::from(points))
                    .radius(3.0)
                    .color(colour),
            );
        });
    chart_footer(ui, id, png_plot.response.rect, png_name);
}

fn clusters_ui(state: &mut SegmentsTab, base: &Customers, ui: &mut egui::Ui) {
    let Some(fit) = state.fit.clone() else {
        ui.label("Scan k, or set k and press Train, to find clusters.");
        return;
    };
    ui.add_space(6.0);
    ui.label(
        egui::RichText::new(format!(
            "Clusters (k = {}, {} inits): inertia {:.1}, silhouette {:.3}, fit {:.2} s",
            fit.clustering.k,
            fit.params.n_init,
            fit.clustering.inertia,
            fit.silhouette,
            fit.fit_secs
        ))
        .strong(),
    );
    crate::ui::exporter::csv_button(ui, "cluster profiles", || {
        let mut headers = vec![
            "cluster".to_owned(),
            "customers".to_owned(),
            "share".to_owned(),
        ];
        headers.extend(fit.features.iter().map(|f| format!("mean_{}", f.name())));
        headers.push("description".into());
        let rows = fit
            .profiles
            .iter()
            .map(|p| {
                let mut row = vec![
                    (p.cluster + 1).to_string(),
                    p.size.to_string(),
                    p.share.to_string(),
                ];
                row.extend(p.means.iter().map(|(_, m)| m.to_string()));
                row.push(p.description.clone());
                row
            })
            .collect();
        (headers, rows)
    });
    egui::Grid::new("profile_table")
        .striped(true)
        .show(ui, |ui| {
            ui.label(egui::RichText::new("cluster").strong());
            ui.label(egui::RichText::new("customers").strong());
            for f in &fit.features {
                ui.label(egui::RichText::new(format!("mean {}", f.name())).strong())
                    .on_hover_text(f.describe());
            }
            ui.label(egui::RichText::new("in plain words").strong());
            ui.end_row();
            for p in &fit.profiles {
                let selected = state.selected_cluster == Some(p.cluster);
                let text = egui::RichText::new(format!("Cluster {}", p.cluster + 1))
                    .color(cluster_colour(p.cluster));
                if ui
                    .selectable_label(selected, text)
                    .on_hover_text("List this cluster's customers")
                    .clicked()
                {
                    state.selected_cluster = if selected { None } else { Some(p.cluster) };
                }
                ui.label(format!(
                    "{} ({:.1}%)",
                    crate::display::thousands(p.size as u64),
                    p.share * 100.0
                ));
                for (_, m) in &p.means {
                    ui.label(format!("{m:.1}"));
                }
                ui.label(&p.description);
                ui.end_row();
            }
        });
    map_ui(state, base, &fit, ui);
    cluster_list_ui(state, base, &fit, ui);
}

fn map_ui(state: &mut SegmentsTab, base: &Customers, fit: &SegmentFit, ui: &mut egui::Ui) {
    ui.add_space(6.0);
    let n = base.table.len();
    ui.label(
        egui::RichText::new(if fit.shown.len() < n {
            format!(
                "Map: first two principal components ({} of {} customers shown, a fixed sample)",
                fit.shown.len(),
                n
            )
        } else {
            "Map: first two principal components of the scaled features".into()
        })
        .strong(),
    );
    let response = chart(ui, "cluster_map", 300.0)
        .legend(Legend::default())
        .x_axis_label("PC 1")
        .y_axis_label("PC 2")
        .show(ui, |p| {
            for c in 0..fit.clustering.k {
                let points: Vec<[f64; 2]> = fit
                    .shown
                    .iter()
                    .zip(&fit.map)
                    .filter(|(&i, _)| fit.clustering.labels[i] == c)
                    .map(|(_, xy)| *xy)
                    .collect();
                p.points(
                    Points::new(format!("Cluster {}", c + 1), PlotPoints::from(points))
                        .radius(2.0)
                        .color(cluster_colour(c)),
                );
            }
            p.pointer_coordinate()
        });
    chart_footer(ui, "cluster_map", response.response.rect, "cluster map");
    // The customer nearest the pointer (in screen space), shown below the map.
    state.hovered = None;
    if let Some(pointer) = response.inner {
        let transform = response.transform;
        let screen = transform.position_from_point(&pointer);
        let nearest = fit
            .map
            .iter()
            .enumerate()
            .map(|(k, xy)| {
                let s = transform.position_from_point(&egui_plot::PlotPoint::new(xy[0], xy[1]));
                (k, s.distance(screen))
            })
            .min_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((k, d)) = nearest.filter(|(_, d)| *d < 12.0) {
            let _ = d;
            state.hovered = Some(fit.shown[k]);
        }
    }
    match state.hovered {
        Some(i) => {
            ui.label(customer_line(base, fit, i));
        }
        None => {
            ui.small("Point at a customer to see who it is.");
        }
    }
}

fn customer_line(base: &Customers, fit: &SegmentFit, i: usize) -> String {
    let values: Vec<String> = base
        .table
        .columns
        .iter()
        .map(|(f, v)| format!("{} {:.1}", f.name(), v[i]))
        .collect();
    let segment = base.rfm.as_ref().map_or("", |r| r.segment[i]);
    format!(
        "customer {} · cluster {} · {} · {}",
        base.table.ids[i],
        fit.clustering.labels[i] + 1,
        segment,
        values.join(" · ")
    )
}

fn cluster_list_ui(state: &SegmentsTab, base: &Customers, fit: &SegmentFit, ui: &mut egui::Ui) {
    let Some(c) = state.selected_cluster else {
        return;
    };
    let members: Vec<usize> = (0..base.table.len())
        .filter(|&i| fit.clustering.labels[i] == c)
        .collect();
    ui.add_space(6.0);
    ui.label(
        egui::RichText::new(format!(
            "Cluster {}: {} customers{}",
            c + 1,
            crate::display::thousands(members.len() as u64),
            if members.len() > LIST_ROWS {
                format!(" (first {LIST_ROWS} shown; Export writes all)")
            } else {
                String::new()
            }
        ))
        .strong(),
    );
    egui::ScrollArea::vertical()
        .id_salt("cluster_members")
        .max_height(260.0)
        .min_scrolled_height(260.0)
        .min_scrolled_height(260.0)
        .show(ui, |ui| {
            egui::Grid::new("cluster_members_grid")
                .striped(true)
                .show(ui, |ui| {
                    ui.label(egui::RichText::new("customer").strong());
                    ui.label(egui::RichText::new("RFM segment").strong());
                    for (f, _) in &base.table.columns {
                        ui.label(egui::RichText::new(f.name()).strong());
                    }
                    ui.end_row();
                    for &i in members.iter().take(LIST_ROWS) {
                        ui.label(&base.table.ids[i]);
                        ui.label(base.rfm.as_ref().map_or("", |r| r.segment[i]));
                        for (_, v) in &base.table.columns {
                            ui.label(format!("{:.1}", v[i]));
                        }
                        ui.end_row();
                    }
                });
        });
}

fn engagement_ui(
    base: &Customers,
    funnel: Option<&Funnel>,
    period: &mut Period,
    ui: &mut egui::Ui,
) {
    ui.add_space(8.0);
    ui.label(egui::RichText::new("Engagement").strong());
    if let Some(f) = funnel {
        egui::Grid::new("seg_funnel").striped(true).show(ui, |ui| {
            header_row(ui, &["step", "users", "events", "step conversion"]);
            for s in &f.steps {
                ui.label(&s.event);
                ui.label(crate::display::thousands(s.users));
                ui.label(crate::display::thousands(s.events));
                ui.label(
                    s.conversion
                        .map_or("–".into(), |c| format!("{:.1}%", c * 100.0)),
                );
                ui.end_row();
            }
        });
    }
    let e = match &base.engagement {
        Ok(e) => e,
        Err(m) => {
            ui.label(m);
            return;
        }
    };
    let day_label = crate::data::timestamp::format_day;
    let daily: Vec<[f64; 2]> = e
        .daily_active
        .iter()
        .map(|(d, u)| [*d as f64, *u as f64])
        .collect();
    // A week the data ends inside would look like a drop: left out.
    let partial_week = e.partial(Period::Week);
    let full_weeks =
        e.weekly_active.len() - usize::from(partial_week && !e.weekly_active.is_empty());
    let weekly: Vec<[f64; 2]> = e.weekly_active[..full_weeks]
        .iter()
        .map(|(d, u)| [*d as f64, *u as f64])
        .collect();
    let png_plot = chart(ui, "active_users", 170.0)
        .legend(Legend::default())
        .y_axis_label("active users")
        .x_axis_formatter(move |mark, _| day_label(mark.value.round() as i64))
        .show(ui, |p| {
            p.line(Line::new("daily active users", PlotPoints::from(daily)));
            p.line(Line::new("weekly active users", PlotPoints::from(weekly)));
        });
    chart_footer(ui, "active_users", png_plot.response.rect, "active users");
    if partial_week {
        ui.small(format!(
            "The data ends on {} inside a week: that week's active users are left out of the weekly line.",
            day_label(e.last_day)
        ));
    }
    if e.cohorts.is_empty() {
        return;
    }
    ui.horizontal(|ui| {
        ui.label(egui::RichText::new("Cohort retention").strong())
            .on_hover_text(
            "The share of each cohort (customers first seen in that period) active n periods later",
        );
        ui.radio_value(period, Period::Week, "by week");
        ui.radio_value(period, Period::Month, "by month");
    });
    let period = *period;
    let cohorts = e.cohorts_by(period);
    let width = e.cohort_width(period);
    let partial = e.partial(period);
    let name = period.name();
    crate::ui::exporter::csv_button(ui, "cohort retention", || {
        let mut headers = vec![format!("cohort_{name}"), "users".to_owned()];
        headers.extend((0..width).map(|w| format!("{name}_{w}")));
        let rows = cohorts
            .iter()
            .map(|c| {
                let mut row = vec![day_label(c.start), c.users.to_string()];
                row.extend(c.retention.iter().map(|r| r.to_string()));
                row
            })
            .collect();
        (headers, rows)
    });
    if partial {
        ui.small(format!(
            "The last {name} is partial (the data ends on {}): its cells, marked *, undercount.",
            day_label(e.last_day)
        ));
    }
    let grid = egui::Grid::new(("cohort_grid", name))
        .spacing([2.0, 2.0])
        .show(ui, |ui| {
            ui.label(format!("cohort ({name} of)"));
            ui.label("users");
            for w in 0..width {
                ui.label(format!("+{w}"));
            }
            ui.end_row();
            for c in cohorts {
                ui.label(day_label(c.start));
                ui.label(crate::display::thousands(c.users as u64));
                for (k, &r) in c.retention.iter().enumerate() {
                    let alpha = (30.0 + 225.0 * r.clamp(0.0, 1.0)) as u8;
                    let colour = egui::Color32::from_rgba_unmultiplied(40, 130, 220, alpha);
                    let last = partial && k + 1 == c.retention.len();
                    ui.label(
                        egui::RichText::new(format!(
                            "{:>3.0}%{}",
                            r * 100.0,
                            if last { "*" } else { "" }
                        ))
                        .monospace()
                        .background_color(colour),
                    );
                }
                ui.end_row();
            }
        });
    crate::ui::exporter::png_button(ui, grid.response.rect, "cohort retention");
}

impl Tab for SegmentsTab {
    fn id(&self) -> &'static str {
        ID
    }

    fn label(&self) -> &'static str {
        "Segments"
    }

    fn on_event(&mut self, event: &Event, bench: &Workbench) {
        match own_run(event, JOB, bench) {
            Some(OwnRun::Trained(entry)) => {
                if let Some(fit) = entry.model_of::<SegmentFit>() {
                    self.fit = Some(fit);
                    self.selected_cluster = None;
                }
            }
            // The previous clusters stay on screen.
            Some(OwnRun::Failed(m)) => self.message = Some(m.to_owned()),
            Some(OwnRun::Cancelled { id, .. }) => {
                self.message = Some(format!("k-means cancelled; run #{id} is in the Runs tab"))
            }
            None => {}
        }
        if let Some(customers) = event.ready::<Customers>(CUSTOMERS) {
            // Features the new data lacks are dropped from the choice.
            self.settings.features = customers.usable(&self.settings.features);
            self.fit = None;
            self.scan.clear();
            self.selected_cluster = None;
            if let Some(fit) = self.pending_fit.take() {
                self.show_fit(fit, bench);
            }
        }
        if let Some(points) = event.ready::<Vec<ScanPoint>>(SCAN) {
            self.scan = (*points).clone();
        }
        if let Event::Message {
            job: JOB | CUSTOMERS | SCAN | EXPORT,
            text,
        } = event
        {
            self.message = Some(text.clone());
        }
    }

    fn ui(&mut self, ctx: &mut TabContext, ui: &mut egui::Ui) {
        if ctx.bench.dataset().is_none() {
            ui.label("Load orders or events first (Data tab).");
            return;
        }
        ctx.send(ensure_customers());
        let Some(customers) = ctx.bench.side::<Customers>() else {
            if let Some((_, m)) = ctx.bench.jobs().progress(CUSTOMERS) {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(m);
                });
            }
            if let Some(m) = &self.message {
                ui.colored_label(ui.visuals().warn_fg_color, m);
            }
            return;
        };
        let funnel = ctx
            .bench
            .data()
            .and_then(|d| d.loaded.profile.funnel.clone());
        side_panel(ui, "segment_controls", 280.0, |ui| {
            self.controls_ui(ctx, &customers, ui)
        });
        main_area(ui, "seg_main", |ui| {
            if let Some(m) = &self.message {
                ui.colored_label(ui.visuals().warn_fg_color, m);
            }
            for note in &customers.table.notes {
                ui.small(note);
            }
            rfm_ui(&customers, ui);
            scan_ui(self, ctx, ui);
            clusters_ui(self, &customers, ui);
            engagement_ui(&customers, funnel.as_ref(), &mut self.cohort_period, ui);
        });
    }

    fn explore(&mut self, run: &RunEntry, bench: &Workbench) -> bool {
        let shown = run
            .model_of::<SegmentFit>()
            .map(|fit| self.show_fit(fit, bench));
        shown.is_some()
    }

    fn settings(&self) -> Vec<&dyn std::any::Any> {
        vec![&self.settings]
    }

    fn perform(&mut self, step: &TourStep, ctx: &mut TabContext) -> Option<Outcome> {
        if step.action != Action::ScanSegments {
            return None;
        }
        let scanning = ctx.bench.jobs().is_active(SCAN);
        if !self.scan.is_empty() && !scanning {
            return Some(Outcome::Done);
        }
        if ctx.bench.side::<Customers>().is_none() {
            ctx.send(ensure_customers());
            return Some(Outcome::NotYet("building the customer table".into()));
        }
        Some(if !step.issued {
            self.start_scan(ctx);
            Outcome::Waiting("scanning k".into())
        } else if scanning {
            let m = ctx.bench.jobs().progress(SCAN).map(|(_, m)| m.to_owned());
            Outcome::Waiting(format!("scanning k {}", m.unwrap_or_default()))
        } else {
            Outcome::Failed(
                self.message
                    .clone()
                    .unwrap_or_else(|| "the k scan found nothing".into()),
            )
        })
    }
}
