//! GA4 facts the configuration's defaults are built from.

/// The events GA4 collects by itself: the automatically collected events of web and app
/// streams, and the enhanced-measurement events of web streams (Google Analytics Help,
/// "Automatically collected events" and "Enhanced measurement events"). `page_view` is not
/// here: it maps to `page_viewed`. Neither is `in_app_purchase`, a real conversion.
pub const GA4_AUTOMATIC_EVENTS: [&str; 33] = [
    // Web and app: automatically collected.
    "first_visit",
    "session_start",
    "user_engagement",
    // Web: enhanced measurement.
    "scroll",
    "click",
    "file_download",
    "form_start",
    "form_submit",
    "video_start",
    "video_progress",
    "video_complete",
    "view_search_results",
    // App: automatically collected.
    "first_open",
    "screen_view",
    "app_remove",
    "app_update",
    "app_clear_data",
    "app_exception",
    "os_update",
    "notification_receive",
    "notification_open",
    "notification_dismiss",
    "notification_foreground",
    "ad_click",
    "ad_exposure",
    "ad_impression",
    "ad_query",
    "ad_reward",
    "adunit_exposure",
    "dynamic_link_app_open",
    "dynamic_link_app_update",
    "dynamic_link_first_open",
    "error",
];
