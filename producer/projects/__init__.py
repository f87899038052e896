"""Projects: run an ``MLproject`` folder or Git repository as a tracked run.

    import runstream.projects

    run = runstream.projects.run(
        "examples/diabetes_project", parameters={"alpha": 0.3},
        experiment_name="diabetes", env_manager="virtualenv",
    )
    print(run.run_id, run.status)

The same from a shell: ``runstream run examples/diabetes_project -P alpha=0.3``.
"""

from runstream.errors import ProjectSetupError
from runstream.projects.runner import ProjectRun, run
from runstream.projects.spec import EntryPoint, Parameter, Project, load_project

__all__ = [
    "EntryPoint",
    "Parameter",
    "Project",
    "ProjectRun",
    "ProjectSetupError",
    "load_project",
    "run",
]
