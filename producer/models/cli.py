"""``runstream models serve`` and ``runstream models predict``."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from runstream.cli_options import check_port
from runstream.errors import InvalidInputError

logger = logging.getLogger(__name__)

app = typer.Typer(help="Serve a model over HTTP, or score a file with it.")

ModelUri = Annotated[
    str,
    typer.Option(
        "--model-uri",
        "-m",
        help="A local folder, runs:/<run_id>/<path>, models:/<name>/<version|stage> "
        "or models:/<name>@<alias>.",
    ),
]


@app.command()
def serve(
    model_uri: ModelUri,
    port: Annotated[
        int,
        typer.Option("--port", "-p", help="Port to listen on.", callback=check_port),
    ] = 5001,
    host: Annotated[str, typer.Option("--host", "-h", help="Address to bind.")] = (
        "127.0.0.1"
    ),
) -> None:
    """Serve the model: POST /invocations, GET /ping and /version."""
    import uvicorn

    from runstream.models import load_model
    from runstream.models.serving import create_scoring_app

    model = load_model(model_uri)
    typer.echo(f"serving {model_uri} at http://{host}:{port}/invocations")
    uvicorn.run(create_scoring_app(model), host=host, port=port, log_level="warning")


@app.command()
def predict(
    model_uri: ModelUri,
    input_path: Annotated[
        Path,
        typer.Option(
            "--input-path",
            "-i",
            help="The input: JSON as /invocations takes it, or CSV.",
            exists=True,
            dir_okay=False,
        ),
    ],
    output_path: Annotated[
        Path | None,
        typer.Option("--output-path", "-o", help="Where to write; stdout if unset."),
    ] = None,
    content_type: Annotated[
        str, typer.Option("--content-type", "-t", help="json or csv.")
    ] = "json",
) -> None:
    """Score a file with the model and write {"predictions": ...} as JSON."""
    from runstream.models import load_model, payloads
    from runstream.models.serving import score

    # A RunstreamError (a bad input, an unknown model) becomes one `error:` line
    # in the root command group of runstream.cli.
    text = input_path.read_bytes()
    if content_type == "csv":
        data, params = payloads.parse_csv(text), None
    elif content_type == "json":
        try:
            data, params = payloads.parse_json(text)
        except InvalidInputError as e:
            hint = "; for CSV pass -t csv" if input_path.suffix == ".csv" else ""
            raise InvalidInputError(f"{input_path}: {e}{hint}") from e
    else:
        raise typer.BadParameter("use json or csv", param_hint="--content-type")
    model = load_model(model_uri)
    answer = json.dumps(payloads.predictions_json(score(model, data, params)))
    if output_path is None:
        sys.stdout.write(answer + "\n")
    else:
        output_path.write_text(answer + "\n", encoding="utf-8")
