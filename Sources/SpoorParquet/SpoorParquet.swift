// The Parquet writer: see ParquetWriter.swift.
