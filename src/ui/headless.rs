//! Rendering without a display: a Slint platform over `MinimalSoftwareWindow` (the software
//! renderer), used by `madoguchi kiosk --demo` with no display and by the benchmark.

use std::rc::Rc;
use std::time::{Duration, Instant};

use slint::platform::software_renderer::{MinimalSoftwareWindow, RepaintBufferType};
use slint::platform::{Platform, WindowAdapter};
use slint::{PhysicalSize, PlatformError, Rgb8Pixel};

struct HeadlessPlatform {
    window: Rc<MinimalSoftwareWindow>,
    start: Instant,
}

impl Platform for HeadlessPlatform {
    fn create_window_adapter(&self) -> Result<Rc<dyn WindowAdapter>, PlatformError> {
        Ok(self.window.clone())
    }
    fn duration_since_start(&self) -> Duration {
        self.start.elapsed()
    }
}

/// Install the headless platform (once per process) and return its window.
pub fn install(width: u32, height: u32) -> Result<Rc<MinimalSoftwareWindow>, slint::PlatformError> {
    let window = MinimalSoftwareWindow::new(RepaintBufferType::NewBuffer);
    window.set_size(PhysicalSize::new(width, height));
    slint::platform::set_platform(Box::new(HeadlessPlatform { window: window.clone(), start: Instant::now() }))
        .map_err(|e| PlatformError::Other(format!("{e}")))?;
    Ok(window)
}

/// Render the current frame into RGB pixels (whole window).
pub fn render_rgb(window: &MinimalSoftwareWindow) -> (u32, u32, Vec<Rgb8Pixel>) {
    slint::platform::update_timers_and_animations();
    let size = window.size();
    let (w, h) = (size.width, size.height);
    let mut buf = vec![Rgb8Pixel::new(0, 0, 0); (w * h) as usize];
    window.request_redraw();
    window.draw_if_needed(|r| {
        r.render(&mut buf, w as usize);
    });
    (w, h, buf)
}

/// Render the current frame as PNG bytes.
pub fn render_png(window: &MinimalSoftwareWindow) -> Result<Vec<u8>, png::EncodingError> {
    let (w, h, px) = render_rgb(window);
    let mut rgba = Vec::with_capacity(px.len() * 4);
    for p in px {
        rgba.extend_from_slice(&[p.r, p.g, p.b, 255]);
    }
    super::images::png_rgba(w, h, &rgba)
}
