//! `stagepad` and `stagepad serve`: the server, until SIGTERM or Ctrl-C.

use crate::config::LogFormat;
use crate::{Application, Settings, telemetry};

pub async fn run(settings: Settings) -> anyhow::Result<()> {
    let log_format = settings.log_format;
    telemetry::init(log_format);
    let application = Application::build(settings).await?;
    tracing::info!(url = %application.public_url(), "Stagepad is serving");
    if log_format == LogFormat::Text {
        println!(
            "\n  Stagepad is running: open {} in your browser.\n",
            application.public_url()
        );
    }
    application.run_until_stopped().await?;
    tracing::info!("Stagepad stopped");
    Ok(())
}
