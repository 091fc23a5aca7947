//! A time shown in the reader's own time zone. The server renders it in UTC (so it reads right
//! without JavaScript); once hydrated, the browser rewrites it with its locale and zone.

use leptos::prelude::*;

#[island]
pub fn LocalTime(
    /// Unix seconds.
    at: i64,
    /// The same time as the server formats it, in UTC.
    utc: String,
) -> impl IntoView {
    let text = RwSignal::new(utc);
    Effect::new(move || {
        #[cfg(feature = "hydrate")]
        {
            let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at as f64 * 1000.0));
            text.set(String::from(date.to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED)));
        }
    });
    view! { <time data-unix=at.to_string()>{text}</time> }
}
