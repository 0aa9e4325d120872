use server::config::LogFormat;
use server::{Application, Settings, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::from_env()?;
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
