//! Widgets for any model's hyperparameters, drawn from its specs
//! ([`crate::params::ParamSpec`]): a slider for numbers with a slider range,
//! a drag value otherwise, a row of buttons for choices, a checkbox for
//! flags, each with the spec's tooltip. A new model gets its controls by
//! listing its specs.

use eframe::egui;
use serde_json::Value;

use crate::params::{Hyperparams, ParamKind, ParamSpec};

/// Draw every parameter of `params` that applies (skipping advanced ones
/// when `simple`); returns whether one changed. Text parameters are left to
/// the tab.
pub fn params_ui<P: Hyperparams>(ui: &mut egui::Ui, params: &mut P, simple: bool) -> bool {
    let json = params.json();
    let mut changed = false;
    for spec in params.specs() {
        if !spec.applies(&json) || (simple && spec.advanced) {
            continue;
        }
        let value = json.get(spec.name).cloned().unwrap_or(Value::Null);
        if let Some(new) = param_ui(ui, spec, &value) {
            if let Err(e) = params.set(spec.name, &new) {
                log::warn!("{e}");
            }
            changed = true;
        }
    }
    changed
}

/// One parameter's widget; the new value when the user changed it.
fn param_ui(ui: &mut egui::Ui, spec: &ParamSpec, value: &Value) -> Option<Value> {
    let tip = spec.tooltip;
    match spec.kind {
        ParamKind::Int { min, max } => {
            let mut v = value.as_u64().unwrap_or(min);
            let range = min..=max.unwrap_or(u64::MAX);
            number_ui(ui, spec, &mut v, range, 1.0).then(|| Value::from(v))
        }
        ParamKind::OptionalInt { min } => {
            let mut on = !value.is_null();
            let mut v = value.as_u64().unwrap_or(100_000.max(min));
            let mut changed = false;
            ui.horizontal(|ui| {
                changed |= ui
                    .checkbox(&mut on, spec.label)
                    .on_hover_text(tip)
                    .changed();
                if on {
                    changed |= ui
                        .add(
                            egui::DragValue::new(&mut v)
                                .range(min..=u64::MAX)
                                .speed(1000),
                        )
                        .changed();
                }
            });
            changed.then(|| if on { Value::from(v) } else { Value::Null })
        }
        ParamKind::Float { min, max, .. } => {
            let mut v = value.as_f64().unwrap_or(min);
            let range = min..=max.unwrap_or(f64::INFINITY);
            number_ui(ui, spec, &mut v, range, 0.01)
                .then(|| crate::params::parse_value(&format!("{v}")))
        }
        ParamKind::Choice(choices) => {
            let current = value.as_str().unwrap_or_default().to_owned();
            let mut picked = None;
            ui.horizontal(|ui| {
                ui.label(spec.label).on_hover_text(tip);
                for (choice, label) in choices {
                    if ui
                        .selectable_label(current == *choice, *label)
                        .on_hover_text(tip)
                        .clicked()
                        && current != *choice
                    {
                        picked = Some(Value::from(*choice));
                    }
                }
            });
            picked
        }
        ParamKind::Bool => {
            let mut on = value.as_bool().unwrap_or(false);
            ui.checkbox(&mut on, spec.label)
                .on_hover_text(tip)
                .changed()
                .then_some(Value::Bool(on))
        }
        ParamKind::Text => None,
    }
}

/// A slider over the spec's slider range (a typed value may go beyond it;
/// validation has the last word), or a drag value within `range`; true when
/// the user changed `v`.
fn number_ui<T: egui::emath::Numeric>(
    ui: &mut egui::Ui,
    spec: &ParamSpec,
    v: &mut T,
    range: std::ops::RangeInclusive<T>,
    speed: f64,
) -> bool {
    let response = match spec.slider {
        Some(s) => ui.add(
            egui::Slider::new(v, T::from_f64(s.lo)..=T::from_f64(s.hi))
                .logarithmic(s.log)
                .clamping(egui::SliderClamping::Never)
                .text(spec.label),
        ),
        None => {
            ui.horizontal(|ui| {
                ui.label(spec.label);
                ui.add(egui::DragValue::new(v).range(range).speed(speed))
            })
            .inner
        }
    };
    response.on_hover_text(spec.tooltip).changed()
}
