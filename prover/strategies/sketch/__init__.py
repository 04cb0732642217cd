"""Draft → sketch → prove subgoals: the `sketch` strategy (`pipeline.SketchStrategy`)."""
