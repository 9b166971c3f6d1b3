//! The app icon, drawn in code so `assets/icon.png` can be rebuilt
//! (`shoplens render-icon assets/icon.png`).

/// The app icon: a shopping bag with a magnifying lens.
pub fn draw_icon() -> image::RgbaImage {
    image::RgbaImage::from_fn(128, 128, |x, y| {
        let (fx, fy) = (x as f32, y as f32);
        let bag = (24.0..=96.0).contains(&fx) && (40.0..=112.0).contains(&fy);
        let handle_d = ((fx - 60.0).powi(2) + (fy - 40.0).powi(2)).sqrt();
        let handle = (18.0..24.0).contains(&handle_d) && fy < 40.0;
        let lens_d = ((fx - 86.0).powi(2) + (fy - 84.0).powi(2)).sqrt();
        let lens_ring = (16.0..22.0).contains(&lens_d);
        let lens_glass = lens_d < 16.0;
        let lens_handle = fx > 98.0 && fy > 96.0 && (fx - fy).abs() < 5.0 && fx < 122.0;
        if lens_ring || lens_handle {
            image::Rgba([30, 40, 60, 255])
        } else if lens_glass {
            image::Rgba([200, 230, 255, 255])
        } else if bag {
            image::Rgba([240, 140, 40, 255])
        } else if handle {
            image::Rgba([180, 90, 20, 255])
        } else {
            image::Rgba([0, 0, 0, 0])
        }
    })
}
