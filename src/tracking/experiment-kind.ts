// MLflow 3.x's UI opens an experiment without the `mlflow.experimentKind` tag as a GenAI
// project (an empty "Traces" page). Every experiment clara-train creates or logs to is
// tagged as a training project, so the UI lands on the runs and their children. A kind
// that is already set (by a user, in the UI) is left as it is.
export const EXPERIMENT_KIND_TAG = 'mlflow.experimentKind';
export const EXPERIMENT_KIND = 'custom_model_development';
