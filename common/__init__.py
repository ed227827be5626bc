"""What every process shares (the bridge, the action server, the KB tools and the Rasa components): the
typed settings base, PII masking, Chinese number/date parsing and the institution facts. Imports nothing of
the other packages, so everyone can import it; no Rasa, FastAPI or pydantic-settings at import time."""
