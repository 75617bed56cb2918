//! `cms [--serve] [SITE]`: a small CMS on `spindle-plugin-host`. It loads the plugins under
//! `SITE/extensions/plugins` (default: the example site beside this file), then creates a
//! post from Markdown through the plugins' hooks (`on-post-creating` makes the slug,
//! `render-markdown` and `filter-html` make the HTML, the post is stored, `on-post-created`
//! announces it), logs a user in, runs the cron jobs due in the last hour, and prints
//! what the plugins did. With `--serve` it then keeps running, its cron thread and file
//! watcher on (edit a manifest or replace a `plugin.wasm` to see it reloaded), reading
//! commands from standard input: `post TITLE`, `login USER`, `plugins`, `events`, `quit`.

use std::io::BufRead;
use std::path::PathBuf;
use std::sync::Arc;

use spindle_plugin_host::{HostConfig, PluginHost, PostInput, PostOutput};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let serve = args.iter().any(|a| a == "--serve");
    let site = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/site")));
    // The database and sandboxes go to a scratch directory, the plugins come from the site.
    let work = std::env::temp_dir().join(format!("spindle-cms-{}", std::process::id()));
    let mut config = HostConfig::new(&work);
    config.plugins_dir = site.join("extensions/plugins");
    let host = match PluginHost::new(config) {
        Ok(h) => Arc::new(h),
        Err(e) => {
            eprintln!("cms: {e}");
            std::process::exit(2);
        }
    };
    for (id, outcome) in host.discover() {
        match outcome {
            Ok(()) => println!("plugin {id}: loaded"),
            Err(e) => println!("plugin {id}: not loaded: {e}"),
        }
    }
    for p in host.plugins() {
        println!("  {} {} ({} instances)", p.name, p.version, p.instances);
    }
    create_post(
        &host,
        "Hello, Plugins!",
        "# Hello\n\nWritten in *Markdown*.\n<script>alert(1)</script>",
    );
    let login = host.on_login("ada");
    println!("on-login: {} plugin(s)", login.value);
    let now = chrono::Utc::now();
    let cron = host.run_cron(now - chrono::Duration::hours(1), now);
    println!("cron jobs run: {:?}", cron.value);
    print_activity(&host);
    if serve {
        let _cron = host.start_cron();
        let _watcher = host.watch().unwrap_or_else(|e| {
            eprintln!("cms: cannot watch the plugins: {e}");
            std::process::exit(2);
        });
        println!("serving; commands: post TITLE | login USER | plugins | events | quit");
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            let (cmd, rest) = line.trim().split_once(' ').unwrap_or((line.trim(), ""));
            match cmd {
                "post" => create_post(&host, rest, rest),
                "login" => println!("on-login: {:?}", host.on_login(rest)),
                "plugins" => println!("{:?}\nreloads: {:?}", host.plugins(), host.reloads()),
                "events" => print_activity(&host),
                "quit" => break,
                "" => {}
                other => println!("unknown command `{other}`"),
            }
        }
    }
    let _ = std::fs::remove_dir_all(&work);
}

/// A post through the hooks: slug, HTML, stored, announced.
fn create_post(host: &PluginHost, title: &str, markdown: &str) {
    let input = PostInput {
        title: title.to_string(),
        content: markdown.to_string(),
        slug: None,
        excerpt: None,
        category_id: None,
        tag_ids: None,
        status: Some("published".into()),
        cover_image: None,
    };
    let filtered = host.on_post_creating(input);
    report_failures("on-post-creating", &filtered.failures);
    let post = filtered.value;
    let slug = post.slug.clone().unwrap_or_else(|| "post".into());
    let html = host.render_markdown(&post.content);
    let html = host.filter_html(&html.value).value;
    static POSTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1);
    let id = format!(
        "post-{}",
        POSTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let created = chrono::Utc::now().to_rfc3339();
    if let Err(e) = host
        .services()
        .add_post(&id, &slug, &post.title, &html, "published", &created)
    {
        println!("cannot store the post: {e}");
        return;
    }
    println!("post {id} '{}' at /{slug}:\n{html}", post.title);
    let announced = host.on_post_created(&PostOutput {
        id: id.clone(),
        title: post.title,
        slug,
        content: html,
        excerpt: None,
        status: "published".into(),
        created_by: "ada".into(),
        updated_by: None,
        category_id: None,
        view_count: 0,
        created_at: created.clone(),
        updated_at: created,
        published_at: None,
    });
    report_failures("on-post-created", &announced.failures);
}

fn report_failures(hook: &str, failures: &[(String, String)]) {
    for (plugin, why) in failures {
        println!("{hook}: plugin {plugin} failed: {why}");
    }
}

fn print_activity(host: &PluginHost) {
    for e in host.services().events() {
        println!(
            "event {} from {}: {} {}",
            e.id, e.plugin, e.event_type, e.data
        );
    }
    for l in host.services().logs() {
        println!("log {} [{}]: {}", l.plugin, l.level, l.message);
    }
}
