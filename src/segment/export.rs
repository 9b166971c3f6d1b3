//! Export customers with their features, RFM segment and cluster to CSV.

use std::io::Write;
use std::path::Path;

use super::features::CustomerTable;
use super::rfm::Rfm;

use crate::export::csv_field as quote;

/// Write `customer,<features…>,r,f,m,segment,cluster` (customer pseudonymised
/// when `pseudonym` is given); atomically (a temporary
/// file renamed into place) so a failed export never leaves half a file.
pub fn write_customers(
    path: &Path,
    table: &CustomerTable,
    rfm: Option<&Rfm>,
    clusters: Option<&[usize]>,
    pseudonym: Option<&crate::export::Pseudonymizer>,
) -> Result<usize, String> {
    let err = |e: std::io::Error| format!("{}: {e}", path.display());
    let tmp = path.with_extension("csv.part");
    let file = std::fs::File::create(&tmp).map_err(err)?;
    let mut w = std::io::BufWriter::new(file);
    let mut header = vec!["customer".to_owned()];
    header.extend(table.columns.iter().map(|(f, _)| f.name().to_owned()));
    if rfm.is_some() {
        header.extend(["r_score", "f_score", "m_score", "rfm_segment"].map(String::from));
    }
    if clusters.is_some() {
        header.push("cluster".into());
    }
    writeln!(w, "{}", header.join(",")).map_err(err)?;
    for i in 0..table.len() {
        let id = match pseudonym {
            Some(p) => p.pseudonym(&table.ids[i]),
            None => quote(&table.ids[i]),
        };
        let mut row = vec![id];
        row.extend(table.columns.iter().map(|(_, v)| format!("{}", v[i])));
        if let Some(r) = rfm {
            row.push(r.r[i].to_string());
            row.push(r.f[i].to_string());
            row.push(r.m.as_ref().map_or(String::new(), |m| m[i].to_string()));
            row.push(quote(r.segment[i]));
        }
        if let Some(c) = clusters {
            row.push(c[i].to_string());
        }
        writeln!(w, "{}", row.join(",")).map_err(err)?;
    }
    w.flush().map_err(err)?;
    drop(w);
    std::fs::rename(&tmp, path).map_err(err)?;
    Ok(table.len())
}

/// Every customer of `customers` with their RFM segment and `fit`'s
/// cluster, to `path`; what was written, in words.
pub fn write_clusters(
    path: &Path,
    customers: &super::task::Customers,
    fit: &super::SegmentFit,
    pseudonym: Option<&crate::export::Pseudonymizer>,
) -> Result<String, String> {
    let rows = write_customers(
        path,
        &customers.table,
        customers.rfm.as_ref().ok(),
        Some(&fit.clustering.labels),
        pseudonym,
    )?;
    Ok(format!("Exported {rows} customers to {}", path.display()))
}
