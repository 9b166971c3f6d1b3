//! The Segments tab: every customer scored by recency, frequency and spend and
//! placed in a named RFM segment; a k scan with elbow and silhouette curves;
//! k-means clusters described in plain words, on a 2-D map, listed per
//! cluster and exported; and engagement (funnel, active users, retention).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use eframe::egui;
use egui_plot::{Legend, Line, Plot, PlotPoints, Points};

use crate::data::catalogue::Catalogue;
use crate::data::profile::Funnel;
use crate::data::Dataset;
use crate::jobs::{EpochEvent, JobSlot, Outcome};
use crate::runs::{fingerprint, known_fingerprint, RunModel, RunRecord, RunStatus};
use crate::segment::clusters::{
    fit_kmeans, pca_2d, profiles, scale, scan_k, silhouette, silhouette_sample, KMeansParams,
    ScanPoint,
};
use crate::segment::engagement::{engagement, Engagement};
use crate::segment::features::{customer_table, CustomerTable, Feature};
use crate::segment::rfm::{rfm, Rfm};

const POLL_BUDGET: Duration = Duration::from_millis(2);
/// Customers drawn on the map (a fixed seeded sample beyond this).
const MAP_POINTS: usize = 10_000;
const LIST_ROWS: usize = 200;

/// Customers, RFM and engagement of one loaded dataset.
pub struct SegmentBase {
    pub dataset: Arc<Dataset>,
    pub table: CustomerTable,
    pub rfm: Result<Rfm, String>,
    pub engagement: Result<Engagement, String>,
}

pub use crate::segment::SegmentFit;

pub struct SegmentsState {
    pub features: Vec<Feature>,
    pub params: KMeansParams,
    pub scan_from: usize,
    pub scan_to: usize,
    pub base_job: JobSlot<SegmentBase>,
    pub base: Option<Arc<SegmentBase>>,
    /// The fit being run, completed into a record when it ends.
    fit_attempt: Option<RunRecord>,
    /// Records of fits that ended, collected by the app into its run history.
    pub finished_runs: Vec<(RunRecord, Option<RunModel>)>,
    /// A saved clustering waiting for its customers to be computed.
    pub pending_fit: Option<Arc<SegmentFit>>,
    /// Replace customer ids by salted hashes in the export.
    pub pseudonymise: bool,
    /// The workspace's pseudonym salt (set by the app).
    pub salt: String,
    pub scan_job: JobSlot<Vec<ScanPoint>>,
    /// Scan points as they arrive (epoch = k, loss = inertia, metric = silhouette).
    pub live_scan: Vec<EpochEvent>,
    pub scan: Vec<ScanPoint>,
    pub fit_job: JobSlot<SegmentFit>,
    pub fit: Option<Arc<SegmentFit>>,
    pub selected_cluster: Option<usize>,
    pub export_path: String,
    pub export_job: JobSlot<usize>,
    pub message: Option<String>,
    hovered: Option<usize>,
}

impl Default for SegmentsState {
    fn default() -> Self {
        Self {
            features: Feature::RFM.to_vec(),
            params: KMeansParams::default(),
            scan_from: 2,
            scan_to: 10,
            base_job: JobSlot::default(),
            base: None,
            fit_attempt: None,
            finished_runs: Vec::new(),
            pending_fit: None,
            pseudonymise: false,
            salt: String::new(),
            scan_job: JobSlot::default(),
            live_scan: Vec::new(),
            scan: Vec::new(),
            fit_job: JobSlot::default(),
            fit: None,
            selected_cluster: None,
            export_path: "segments.csv".into(),
            export_job: JobSlot::default(),
            message: None,
            hovered: None,
        }
    }
}

impl SegmentsState {
    pub fn is_busy(&self) -> bool {
        self.base_job.is_running()
            || self.scan_job.is_running()
            || self.fit_job.is_running()
            || self.export_job.is_running()
    }

    /// Compute the customer table for `dataset` unless it is already there.
    fn ensure_base(&mut self, dataset: &Arc<Dataset>, ctx: &egui::Context) {
        let current = self
            .base
            .as_ref()
            .is_some_and(|b| Arc::ptr_eq(&b.dataset, dataset));
        if current || self.base_job.is_running() {
            return;
        }
        // A failed build for this dataset is not retried every frame.
        if self.message.is_some() && self.base.is_none() {
            return;
        }
        let dataset = Arc::clone(dataset);
        let ctx = ctx.clone();
        let started = self.base_job.start("customers", move |job| {
            job.progress(None, "scoring customers");
            let catalogue = Catalogue::beside(&dataset.path);
            let table = customer_table(&dataset, catalogue.as_ref(), None)?;
            job.check_cancelled()?;
            let rfm = rfm(&table).map_err(|e| e.to_string());
            let engagement = engagement(&dataset).map_err(|e| e.to_string());
            ctx.request_repaint();
            Ok(SegmentBase {
                dataset,
                table,
                rfm,
                engagement,
            })
        });
        if let Err(e) = started {
            self.message = Some(e);
        }
    }

    pub fn start_scan(&mut self, ctx: &egui::Context) {
        let Some(base) = self.base.clone() else {
            return;
        };
        let (features, params) = (self.features.clone(), self.params.clone());
        let ks = self.scan_from.max(2)..=self.scan_to.max(self.scan_from.max(2));
        self.live_scan.clear();
        self.message = None;
        let ctx = ctx.clone();
        let started = self.scan_job.start("scan k", move |job| {
            let scaled = scale(&base.table, &features, &params)?;
            let (from, to) = (*ks.start(), *ks.end());
            let points = scan_k(&scaled, ks, &params, job.cancel_token(), &|p| {
                job.progress(
                    Some((p.k + 1 - from) as f32 / (to + 1 - from) as f32),
                    format!("k = {} done", p.k),
                );
                job.epoch(EpochEvent {
                    epoch: p.k,
                    loss: p.inertia,
                    metric: Some(("silhouette".into(), p.silhouette)),
                    secs: 0.0,
                });
                ctx.request_repaint();
            })?;
            Ok(points)
        });
        if let Err(e) = started {
            self.message = Some(e);
        }
    }

    pub fn start_fit(&mut self, ctx: &egui::Context) {
        let Some(base) = self.base.clone() else {
            return;
        };
        let (features, params) = (self.features.clone(), self.params.clone());
        self.message = None;
        let dataset = Arc::clone(&base.dataset);
        self.fit_attempt = Some(RunRecord::kmeans_attempt(
            &params,
            &features,
            known_fingerprint(&dataset),
        ));
        let ctx = ctx.clone();
        let started = self.fit_job.start("k-means", move |job| {
            job.progress(None, "fingerprinting the data");
            let data = fingerprint(&dataset);
            job.progress(None, format!("k-means with k = {}", params.k));
            let scaled = scale(&base.table, &features, &params)?;
            let t = Instant::now();
            let clustering = fit_kmeans(&scaled, &params, job.cancel_token())?;
            let fit_secs = t.elapsed().as_secs_f64();
            job.progress(None, "silhouette and map");
            let sample = silhouette_sample(base.table.len(), params.seed);
            let silhouette = silhouette(&scaled.x, &clustering.labels, clustering.k, &sample);
            let projection = pca_2d(&scaled)?;
            let shown = map_sample(base.table.len(), params.seed);
            let map = shown
                .iter()
                .map(|&i| [projection[[i, 0]], projection[[i, 1]]])
                .collect();
            let profiles = profiles(&base.table, &scaled, &clustering);
            ctx.request_repaint();
            Ok(SegmentFit {
                features,
                params,
                clustering,
                profiles,
                silhouette,
                map,
                shown,
                fit_secs,
                data,
            })
        });
        if let Err(e) = started {
            self.message = Some(e);
        }
    }

    fn start_export(&mut self, ctx: &egui::Context) {
        let (Some(base), Some(fit)) = (self.base.clone(), self.fit.clone()) else {
            return;
        };
        let path = PathBuf::from(self.export_path.trim());
        let pseudonym = self
            .pseudonymise
            .then(|| crate::export::Pseudonymizer::new(&self.salt));
        let ctx = ctx.clone();
        let started = self.export_job.start("export", move |_| {
            let rows = crate::segment::export::write_customers(
                &path,
                &base.table,
                base.rfm.as_ref().ok(),
                Some(&fit.clustering.labels),
                pseudonym.as_ref(),
            )
            .map_err(crate::jobs::JobFailure::Message)?;
            ctx.request_repaint();
            Ok(rows)
        });
        if let Err(e) = started {
            self.message = Some(e);
        }
    }

    /// Show a saved clustering (from the Runs tab). It needs the customers
    /// it was made on: shown at once when they are loaded, otherwise kept until
    /// they are, with a message saying which file to open.
    pub fn show_fit(&mut self, fit: Arc<SegmentFit>) {
        let matches = self.base.as_ref().is_some_and(|b| {
            b.dataset.path == fit.data.file
                && b.table.len() == fit.clustering.labels.len()
                && fit.features.iter().all(|f| b.table.get(*f).is_some())
        });
        if matches {
            self.features = fit.features.clone();
            self.params = fit.params.clone();
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

    pub fn poll(&mut self) {
        if let (_, Some((_, outcome))) = self.base_job.poll(POLL_BUDGET) {
            match outcome {
                Outcome::Done(base) => {
                    // Features the new data lacks are dropped from the choice.
                    self.features.retain(|f| base.table.get(*f).is_some());
                    if self.features.is_empty() {
                        self.features = base.table.available().into_iter().take(3).collect();
                    }
                    self.base = Some(Arc::new(base));
                    self.fit = None;
                    self.scan.clear();
                    self.live_scan.clear();
                    self.selected_cluster = None;
                    if let Some(fit) = self.pending_fit.take() {
                        self.show_fit(fit);
                    }
                }
                Outcome::Failed(m) => self.message = Some(m),
                Outcome::Cancelled => {}
            }
        }
        let (points, finished) = self.scan_job.poll(POLL_BUDGET);
        self.live_scan.extend(points);
        if let Some((_, outcome)) = finished {
            match outcome {
                Outcome::Done(points) => self.scan = points,
                Outcome::Failed(m) => self.message = Some(m),
                Outcome::Cancelled => {}
            }
        }
        if let (_, Some((_, outcome))) = self.fit_job.poll(POLL_BUDGET) {
            let attempt = self.fit_attempt.take();
            match outcome {
                Outcome::Done(fit) => {
                    let fit = Arc::new(fit);
                    self.finished_runs.push((
                        RunRecord::from_kmeans(
                            &fit.params,
                            &fit.features,
                            &fit.clustering,
                            fit.silhouette,
                            fit.fit_secs,
                            fit.data.clone(),
                        ),
                        Some(RunModel::Segments(Arc::clone(&fit))),
                    ));
                    self.fit = Some(fit);
                    self.selected_cluster = None;
                }
                // The previous clusters stay on screen.
                Outcome::Failed(m) => {
                    if let Some(mut r) = attempt {
                        r.status = RunStatus::Failed(m.clone());
                        self.finished_runs.push((r, None));
                    }
                    self.message = Some(m);
                }
                Outcome::Cancelled => {
                    if let Some(mut r) = attempt {
                        r.status = RunStatus::Cancelled;
                        self.finished_runs.push((r, None));
                    }
                }
            }
        }
        if let (_, Some((_, outcome))) = self.export_job.poll(POLL_BUDGET) {
            self.message = Some(match outcome {
                Outcome::Done(rows) => format!("Exported {rows} customers to {}", self.export_path),
                Outcome::Failed(m) => m,
                Outcome::Cancelled => "Export cancelled".into(),
            });
        }
    }
}

/// The customers drawn on the map: all, or a fixed seeded sample.
fn map_sample(n: usize, seed: u64) -> Vec<usize> {
    use rand::seq::SliceRandom;
    use rand::SeedableRng;
    let mut rows: Vec<usize> = (0..n).collect();
    if n > MAP_POINTS {
        rows.shuffle(&mut rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(
            seed ^ 0x5eed,
        ));
        rows.truncate(MAP_POINTS);
        rows.sort_unstable();
    }
    rows
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

pub fn segments_tab_ui(
    state: &mut SegmentsState,
    dataset: Option<Arc<Dataset>>,
    funnel: Option<&Funnel>,
    ui: &mut egui::Ui,
) {
    state.poll();
    let Some(dataset) = dataset else {
        ui.label("Load orders or events first (Data tab).");
        return;
    };
    state.ensure_base(&dataset, ui.ctx());
    let Some(base) = state
        .base
        .clone()
        .filter(|b| Arc::ptr_eq(&b.dataset, &dataset))
    else {
        if let Some((_, m)) = &state.base_job.last_progress {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(m);
            });
        }
        if let Some(m) = &state.message {
            ui.colored_label(ui.visuals().warn_fg_color, m);
        }
        return;
    };
    egui::Panel::left("segment_controls")
        .resizable(true)
        .default_size(280.0)
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("seg_controls")
                .show(ui, |ui| controls_ui(state, &base, ui));
        });
    egui::CentralPanel::default().show(ui, |ui| {
        egui::ScrollArea::vertical()
            .id_salt("seg_main")
            .show(ui, |ui| {
                if let Some(m) = &state.message {
                    ui.colored_label(ui.visuals().warn_fg_color, m);
                }
                for note in &base.table.notes {
                    ui.small(note);
                }
                rfm_ui(&base, ui);
                scan_ui(state, ui);
                clusters_ui(state, &base, ui);
                engagement_ui(&base, funnel, ui);
            });
    });
}

fn controls_ui(state: &mut SegmentsState, base: &SegmentBase, ui: &mut egui::Ui) {
    ui.heading("Customers");
    ui.label(format!(
        "{} customers in {}",
        crate::cli::thousands(base.table.len() as u64),
        crate::ui::display_name(&base.dataset.path)
    ));
    ui.add_space(4.0);
    ui.label(egui::RichText::new("Cluster on").strong());
    for f in base.table.available() {
        let mut on = state.features.contains(&f);
        if ui
            .checkbox(&mut on, f.name())
            .on_hover_text(f.describe())
            .changed()
        {
            if on {
                state.features.push(f);
                state.features.sort();
            } else {
                state.features.retain(|x| *x != f);
            }
        }
    }
    ui.checkbox(&mut state.params.log1p, "log1p")
        .on_hover_text("Compress long tails (a few huge spenders) before scaling");
    ui.checkbox(&mut state.params.zscore, "z-score")
        .on_hover_text("Give every feature mean 0 and (population) standard deviation 1");
    ui.add(egui::Slider::new(&mut state.params.n_init, 1..=50).text("inits"))
        .on_hover_text("k-means runs from different k-means++ seeds; the lowest inertia wins");
    ui.horizontal(|ui| {
        ui.label("seed");
        ui.add(egui::DragValue::new(&mut state.params.seed));
    });
    ui.separator();
    ui.label(egui::RichText::new("Choose k").strong());
    ui.horizontal(|ui| {
        ui.label("from");
        ui.add(egui::DragValue::new(&mut state.scan_from).range(2..=50));
        ui.label("to");
        ui.add(egui::DragValue::new(&mut state.scan_to).range(2..=50));
    });
    ui.horizontal(|ui| {
        let running = state.scan_job.is_running();
        if ui
            .add_enabled(!running, egui::Button::new("Scan k"))
            .clicked()
        {
            state.start_scan(ui.ctx());
        }
        if running && ui.button("Cancel scan").clicked() {
            state.scan_job.cancel();
        }
    });
    if let Some((f, m)) = &state.scan_job.last_progress {
        ui.add(egui::ProgressBar::new(f.unwrap_or(0.0)).text(m.as_str()));
    }
    ui.add(egui::Slider::new(&mut state.params.k, 2..=20).text("k"))
        .on_hover_text("Number of clusters; the elbow and silhouette curves help choose");
    ui.horizontal(|ui| {
        let running = state.fit_job.is_running();
        if ui
            .add_enabled(!running, egui::Button::new("Fit k-means"))
            .clicked()
        {
            state.start_fit(ui.ctx());
        }
        if running && ui.button("Cancel").clicked() {
            state.fit_job.cancel();
        }
    });
    if let Some((_, m)) = &state.fit_job.last_progress {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(m);
        });
    }
    ui.separator();
    ui.label(egui::RichText::new("Export").strong());
    ui.add(egui::TextEdit::singleline(&mut state.export_path).hint_text("segments.csv"));
    ui.checkbox(&mut state.pseudonymise, "Pseudonymise customer ids")
        .on_hover_text(crate::ui::PSEUDONYM_TIP);
    if ui
        .add_enabled(
            state.fit.is_some() && !state.export_job.is_running(),
            egui::Button::new("Export customers"),
        )
        .on_hover_text("Every customer with their features, RFM scores and segment, and cluster")
        .clicked()
    {
        state.start_export(ui.ctx());
    }
}

fn rfm_ui(base: &SegmentBase, ui: &mut egui::Ui) {
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
            ui.label(crate::cli::thousands(row.size as u64));
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

fn scan_ui(state: &mut SegmentsState, ui: &mut egui::Ui) {
    ui.add_space(6.0);
    ui.label(egui::RichText::new(format!("k scan ({} values)", state.live_scan.len())).strong());
    let inertia: Vec<[f64; 2]> = state
        .live_scan
        .iter()
        .map(|e| [e.epoch as f64, e.loss])
        .collect();
    let silhouettes: Vec<[f64; 2]> = state
        .live_scan
        .iter()
        .filter_map(|e| e.metric.as_ref().map(|(_, v)| [e.epoch as f64, *v]))
        .collect();
    ui.columns(2, |cols| {
        let png_plot = Plot::new("elbow")
            .height(150.0)
            .legend(Legend::default())
            .x_axis_label("k")
            .allow_scroll(false)
            .show(&mut cols[0], |p| {
                let colour = cluster_colour(0);
                let name = "inertia (elbow)";
                p.line(Line::new(name, PlotPoints::from(inertia.clone())).color(colour));
                p.points(
                    Points::new(name, PlotPoints::from(inertia))
                        .radius(3.0)
                        .color(colour),
                );
            });
        crate::ui::exporter::png_button(&mut cols[0], png_plot.response.rect, "elbow curve");
        let png_plot = Plot::new("silhouette")
            .height(150.0)
            .legend(Legend::default())
            .x_axis_label("k")
            .allow_scroll(false)
            .show(&mut cols[1], |p| {
                let colour = cluster_colour(1);
                let name = "silhouette (higher is better)";
                p.line(Line::new(name, PlotPoints::from(silhouettes.clone())).color(colour));
                p.points(
                    Points::new(name, PlotPoints::from(silhouettes))
                        .radius(3.0)
                        .color(colour),
                );
            });
        crate::ui::exporter::png_button(&mut cols[1], png_plot.response.rect, "silhouette curve");
    });
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
                    .selectable_label(state.params.k == p.k, label)
                    .on_hover_text(format!(
                        "inertia {:.1}, silhouette {:.3}",
                        p.inertia, p.silhouette
                    ))
                    .clicked()
                {
                    state.params.k = p.k;
                    state.start_fit(ui.ctx());
                }
            }
        });
    }
}

fn clusters_ui(state: &mut SegmentsState, base: &SegmentBase, ui: &mut egui::Ui) {
    let Some(fit) = state.fit.clone() else {
        ui.label("Scan k or press Fit k-means to find clusters.");
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
                    crate::cli::thousands(p.size as u64),
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

fn map_ui(state: &mut SegmentsState, base: &SegmentBase, fit: &SegmentFit, ui: &mut egui::Ui) {
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
    let response = Plot::new("cluster_map")
        .height(300.0)
        .allow_scroll(false)
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
    crate::ui::exporter::png_button(ui, response.response.rect, "cluster map");
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

fn customer_line(base: &SegmentBase, fit: &SegmentFit, i: usize) -> String {
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

fn cluster_list_ui(state: &SegmentsState, base: &SegmentBase, fit: &SegmentFit, ui: &mut egui::Ui) {
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
            crate::cli::thousands(members.len() as u64),
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

fn engagement_ui(base: &SegmentBase, funnel: Option<&Funnel>, ui: &mut egui::Ui) {
    ui.add_space(8.0);
    ui.label(egui::RichText::new("Engagement").strong());
    if let Some(f) = funnel {
        egui::Grid::new("seg_funnel").striped(true).show(ui, |ui| {
            for h in ["step", "users", "events", "step conversion"] {
                ui.label(egui::RichText::new(h).strong());
            }
            ui.end_row();
            for s in &f.steps {
                ui.label(&s.event);
                ui.label(crate::cli::thousands(s.users));
                ui.label(crate::cli::thousands(s.events));
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
    let day_label = |d: i64| crate::data::timestamp::format_iso(d * 86_400)[..10].to_owned();
    let daily: Vec<[f64; 2]> = e
        .daily_active
        .iter()
        .map(|(d, u)| [*d as f64, *u as f64])
        .collect();
    let weekly: Vec<[f64; 2]> = e
        .weekly_active
        .iter()
        .map(|(d, u)| [*d as f64, *u as f64])
        .collect();
    let png_plot = Plot::new("active_users")
        .height(170.0)
        .legend(Legend::default())
        .allow_scroll(false)
        .y_axis_label("active users")
        .x_axis_formatter(move |mark, _| day_label(mark.value.round() as i64))
        .show(ui, |p| {
            p.line(Line::new("daily active users", PlotPoints::from(daily)));
            p.line(Line::new("weekly active users", PlotPoints::from(weekly)));
        });
    crate::ui::exporter::png_button(ui, png_plot.response.rect, "active users");
    if e.cohorts.is_empty() {
        return;
    }
    ui.label(
        egui::RichText::new("Weekly cohort retention (share of each cohort active n weeks later)")
            .strong(),
    );
    crate::ui::exporter::csv_button(ui, "cohort retention", || {
        let width = e
            .cohorts
            .iter()
            .map(|c| c.retention.len())
            .max()
            .unwrap_or(0);
        let mut headers = vec!["cohort_week".to_owned(), "users".to_owned()];
        headers.extend((0..width).map(|w| format!("week_{w}")));
        let rows = e
            .cohorts
            .iter()
            .map(|c| {
                let mut row = vec![
                    crate::data::timestamp::format_iso(c.week_start * 86_400)[..10].to_owned(),
                    c.users.to_string(),
                ];
                row.extend(c.retention.iter().map(|r| r.to_string()));
                row
            })
            .collect();
        (headers, rows)
    });
    let cohorts = egui::ScrollArea::horizontal()
        .id_salt("cohorts")
        .show(ui, |ui| {
            egui::Grid::new("cohort_grid")
                .spacing([2.0, 2.0])
                .show(ui, |ui| {
                    ui.label("cohort (week of)");
                    ui.label("users");
                    let width = e
                        .cohorts
                        .iter()
                        .map(|c| c.retention.len())
                        .max()
                        .unwrap_or(0);
                    for w in 0..width {
                        ui.label(format!("+{w}"));
                    }
                    ui.end_row();
                    for c in &e.cohorts {
                        ui.label(
                            crate::data::timestamp::format_iso(c.week_start * 86_400)[..10]
                                .to_owned(),
                        );
                        ui.label(crate::cli::thousands(c.users as u64));
                        for &r in &c.retention {
                            let alpha = (30.0 + 225.0 * r.clamp(0.0, 1.0)) as u8;
                            let colour = egui::Color32::from_rgba_unmultiplied(40, 130, 220, alpha);
                            ui.label(
                                egui::RichText::new(format!("{:>3.0}%", r * 100.0))
                                    .monospace()
                                    .background_color(colour),
                            );
                        }
                        ui.end_row();
                    }
                });
        });
    crate::ui::exporter::png_button(ui, cohorts.inner_rect, "cohort retention");
}
