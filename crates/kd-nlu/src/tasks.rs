//! The NLU tasks registered with the harness.
use crate::glue::GlueTask;
use crate::model::TextModelConfig;
use crate::task::{TextConfig, TextSource, TextTask};
use kd_harness::task::Task;
use std::sync::Arc;

/// Fine-tuning of a pretrained 6-layer MiniLM teacher and a student made of MiniLM's
/// embeddings and bottom 2 layers: AdamW with BERT's warm-up and linear decay, inputs cut to `max_length`.
fn minilm_recipe(epochs: usize, max_length: usize) -> TextConfig {
    TextConfig {
        epochs,
        teacher_epochs: 0,
        batch_size: 32,
        optimizer: "adamw".into(),
        lr: 1e-4,
        weight_decay: 0.01,
        lr_schedule: "warmup_linear".into(),
        max_length,
        train_limit: 0,
        eval_limit: 0,
        clip_grad_norm: 0.0,
        teacher: TextModelConfig::pretrained(6),
        student: TextModelConfig::pretrained(2),
    }
}

/// Every NLU task.
pub fn nlu_tasks() -> Vec<Arc<dyn Task>> {
    let mut tasks: Vec<Arc<dyn Task>> = vec![
        Arc::new(TextTask::new(
            "rotten-tomatoes",
            "Rotten Tomatoes sentiment (fetch: rotten-tomatoes, minilm-l6): MiniLM-L6 teacher, 2-layer MiniLM student",
            TextSource::RottenTomatoes,
            minilm_recipe(3, 64),
        )),
        Arc::new(TextTask::new(
            "snli",
            "SNLI inference (fetch: snli, minilm-l6): MiniLM-L6 teacher, 2-layer MiniLM student; 2,000 dev/test pairs",
            TextSource::Snli,
            TextConfig {
                eval_limit: 2000,
                ..minilm_recipe(3, 64)
            },
        )),
    ];
    for task in GlueTask::ALL {
        let kind = if task.is_regression() {
            ", a regression of the 0-5 similarity (one output, squared error)"
        } else {
            ""
        };
        tasks.push(Arc::new(TextTask::new(
            &format!("glue-{}", task.name()),
            &format!(
                "GLUE {}{kind} (user-supplied under <data-dir>/glue/{}): MiniLM-L6 teacher, 2-layer MiniLM student; reported on the dev set",
                task.folder(),
                task.folder()
            ),
            TextSource::Glue(task),
            minilm_recipe(3, 128),
        )));
    }
    tasks
}
