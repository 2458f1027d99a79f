from motcua.dossiers.tests.conftest import agencies, birth_procedure, citizen, complete_draft  # noqa: F401
