"""Export a registered model for offline and edge scoring: ONNX plus a standalone scorer.

``export_model`` (the twin of ``prodml export`` and :meth:`prodml.Project.export`) converts the
whole scoring path (preprocessing, model, calibration, decision) to one ONNX graph, checks it
against prodml on the held-out rows, and writes a folder a device team can use with only numpy
and onnxruntime (``python -m prodml_edge FOLDER < records.jsonl``).
"""

from prodml.export._export import DEFAULT_TOLERANCE, FORMATS, ExportReport, export_model

__all__ = ["DEFAULT_TOLERANCE", "FORMATS", "ExportReport", "export_model"]
