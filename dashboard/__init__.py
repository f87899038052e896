"""The Streamlit dashboard: experiments, runs and live metric charts.

It reads everything through the query API (``runstream.api``) and never opens
ClickHouse or the blob store itself, so it can run on any machine that reaches the
API. Start it with ``streamlit run dashboard/app.py``.
"""
