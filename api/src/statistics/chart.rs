//! Bar charts as plain SVG, drawn on the server. No plotting crate: the charts are bars per
//! month, which take a few dozen lines, while the crates that draw SVG (plotters and its
//! kin) bring their own text layout and fonts, write presentation in `style` attributes our
//! Content-Security-Policy (`style-src 'self'`) would block, and give no hold on the
//! accessibility the page needs (`role="img"`, `<title>`, `<desc>`). Every chart is shown
//! beside a table of the same figures; the SVG is a picture of that table.

/// One series of bars (one colour), a value per category.
pub struct Series<'a> {
    pub name: &'a str,
    pub values: Vec<i64>,
    /// A CSS class of `site.css` (`chart-a`, `chart-b`) giving the colour.
    pub class: &'a str,
}

use crate::notifications::mail_html::escape;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 40.0;
const BOTTOM: f64 = 40.0;
const TOP: f64 = 12.0;

/// A round top for the axis: 1, 2 or 5 times a power of ten, at least `max`.
fn nice_top(max: i64) -> i64 {
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            if m * step >= max.max(1) {
                return m * step;
            }
        }
        step *= 10;
    }
}

/// Grouped bars, one group per category (`labels`), one bar per series. `id` makes the
/// `<title>` and `<desc>` ids unique on the page.
pub fn bars(id: &str, title: &str, description: &str, labels: &[String], series: &[Series<'_>]) -> String {
    let max = series.iter().flat_map(|s| s.values.iter().copied()).max().unwrap_or(0);
    let top = nice_top(max);
    let plot_w = WIDTH - LEFT - 8.0;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let group_w = plot_w / labels.len().max(1) as f64;
    let bar_w = (group_w * 0.8) / series.len().max(1) as f64;
    let y = |v: i64| TOP + plot_h - plot_h * v as f64 / top as f64;
    let mut svg = format!(
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{id}-titre {id}-desc" xmlns="http://www.w3.org/2000/svg"><title id="{id}-titre">{}</title><desc id="{id}-desc">{}</desc>"#,
        escape(title),
        escape(description)
    );
    for tick in [0, top / 2, top] {
        let ty = y(tick);
        svg.push_str(&format!(
            r#"<line class="chart-grid" x1="{LEFT}" y1="{ty:.1}" x2="{:.1}" y2="{ty:.1}"/><text class="chart-axis" x="{:.1}" y="{:.1}" text-anchor="end">{tick}</text>"#,
            WIDTH - 8.0,
            LEFT - 4.0,
            ty + 4.0
        ));
    }
    for (i, label) in labels.iter().enumerate() {
        let gx = LEFT + group_w * i as f64 + group_w * 0.1;
        for (k, s) in series.iter().enumerate() {
            let v = s.values.get(i).copied().unwrap_or(0);
            let (bx, by) = (gx + bar_w * k as f64, y(v));
            svg.push_str(&format!(
                r#"<rect class="{}" x="{bx:.1}" y="{by:.1}" width="{:.1}" height="{:.1}"><title>{} : {v}</title></rect>"#,
                escape(s.class),
                (bar_w - 1.0).max(1.0),
                TOP + plot_h - by,
                escape(&format!("{}, {}", label, s.name)),
            ));
        }
        svg.push_str(&format!(
            r#"<text class="chart-axis" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            gx + group_w * 0.4,
            HEIGHT - BOTTOM + 16.0,
            escape(label)
        ));
    }
    for (k, s) in series.iter().enumerate() {
        let lx = LEFT + 160.0 * k as f64;
        svg.push_str(&format!(
            r#"<rect class="{}" x="{lx:.1}" y="{:.1}" width="12" height="12"/><text class="chart-axis" x="{:.1}" y="{:.1}">{}</text>"#,
            escape(s.class),
            HEIGHT - 16.0,
            lx + 16.0,
            HEIGHT - 6.0,
            escape(s.name)
        ));
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_is_an_image_with_its_title_and_a_bar_per_value() {
        let labels = vec!["janv. 2027".to_string(), "févr. 2027".to_string()];
        let svg = bars(
            "resa",
            "Réservations par mois",
            "Inscriptions et rendez-vous",
            &labels,
            &[Series {
                name: "Inscriptions",
                values: vec![3, 7],
                class: "chart-a",
            }],
        );
        assert!(svg.starts_with("<svg") && svg.contains(r#"role="img""#));
        assert!(svg.contains(r#"<title id="resa-titre">Réservations par mois</title>"#));
        assert!(svg.contains("<title>févr. 2027, Inscriptions : 7</title>"));
        assert!(!svg.contains("style="), "no inline style: the CSP forbids it");
    }

    #[test]
    fn text_is_escaped() {
        let svg = bars("x", "a < b & c", "", &["<m>".into()], &[]);
        assert!(svg.contains("a &lt; b &amp; c") && svg.contains("&lt;m&gt;"));
    }

    #[test]
    fn the_axis_ends_on_a_round_number() {
        assert_eq!(nice_top(0), 1);
        assert_eq!(nice_top(7), 10);
        assert_eq!(nice_top(130), 200);
        assert_eq!(nice_top(500), 500);
    }
}
