//! Drives the Recommend tab on UCI Online Retail with a temporal split: the
//! runs table reports how content finds new items, and blending content into
//! a customer's list brings in items nobody bought before the cut, marked as
//! new, with the similar-by-description view for them.
use crate::common;

use egui_kittest::kittest::Queryable;
use shoplens::recsys::params::RecommenderKind;
use shoplens::workbench::JobKind;

#[test]
fn blend_content_into_a_customers_list_on_online_retail() {
    let Some(dir) = common::shared_data() else {
        return;
    };
    let path = dir.join("uci-online-retail/OnlineRetail.csv.gz");
    let mut harness = egui_kittest::Harness::builder()
        .with_size(eframe::egui::vec2(1600.0, 1200.0))
        .build_eframe(|cc| {
            shoplens::ui::ShoplensApp::new(&cc.egui_ctx, Default::default(), Some(path))
        });
    common::step_until(&mut harness, "Online Retail", |app| {
        app.bench().data().is_some() && !app.is_busy()
    });
    harness.get_by_label("Recommend").click();
    harness.run_steps(2);
    harness
        .state_mut()
        .set_recommend_model(RecommenderKind::ItemKnn);
    harness.state_mut().set_temporal_split("2011-10-01");
    harness.run_steps(1);
    harness.get_by_label("Train").click();
    harness.run_steps(1);
    common::step_until(&mut harness, "item kNN", |app| {
        !app.is_job_active(JobKind::Train(shoplens::recsys::KIND))
    });
    let t = harness.state().explored_recommender().expect("trained");
    let n = t.new_items.clone().expect("new items on a temporal split");
    harness
        .get_all_by_label(&format!(
            "HR {:.3} vs {:.3}",
            n.content.hr, n.category_popularity.hr
        ))
        .next()
        .expect("the runs table's new-items column");
    // A customer with history whose blended list has a new item.
    let user = (0..t.data.n_users() as u32)
        .find(|&u| {
            t.train.row_len(u as usize) > 0
                && t.recommend_hybrid(u, 1.0, t.options.k, 0)
                    .iter()
                    .any(|r| t.is_new_item(r.item))
        })
        .expect("a customer content gives a new item");
    let label = t.data.user_labels[user as usize].clone();
    harness.state_mut().set_customer_query(&label);
    harness.run_steps(3);
    // The slider and its text are two nodes with the label.
    harness
        .get_all_by_label("blend in content")
        .next()
        .expect("the blend slider");
    assert_eq!(
        harness.query_all_by_label_contains("· new item").count(),
        0,
        "the model alone"
    );
    harness.state_mut().set_content_blend(1.0);
    harness.run_steps(3);
    let new = harness.query_all_by_label_contains("· new item").count();
    assert!(new > 0, "content brings new items in");
    harness
        .get_all_by_label_contains("· new item")
        .next()
        .unwrap()
        .click();
    harness.run_steps(3);
    harness.get_by_label("Alike by description and attributes");
}
