import Loop

extension DocumentRow {
    /// The row for a document's record: `parsed` with the resume, or `failed` with the code of the first
    /// stage that failed it (a refusal before extraction, extraction, or the parser). `text` is the extracted
    /// text, stored when extraction succeeded.
    public init(record: DocumentRecord, text: String?) {
        let metadata = record.metadata
        let extraction = record.extraction
        self.init(
            id: metadata.id.description, tenant: metadata.tenant, batchID: metadata.batchID.description,
            contentSHA256: metadata.sha256, filename: metadata.filename, declaredType: metadata.declaredType,
            detectedType: extraction?.detectedType, sizeBytes: Int64(metadata.size), status: .failed,
            extractor: extraction?.extractor, ocrUsed: extraction?.ocrUsed, pageCount: extraction?.pageCount,
            textCharacters: extraction?.textCharacters, warnings: extraction?.warnings ?? [],
            receivedAtMilliseconds: metadata.receivedAtMilliseconds)
        if let refusal = metadata.refusal {
            errorCode = refusal.code
            errorDetail = refusal.detail
            return
        }
        guard let extraction else {
            errorCode = "internal_error"
            errorDetail = "the document reached the database without having been extracted"
            return
        }
        guard extraction.succeeded else {
            errorCode = extraction.errorCode ?? "extract_failed"
            errorDetail = extraction.errorDetail
            return
        }
        self.text = text
        guard let parse = record.parse else {
            errorCode = "internal_error"
            errorDetail = "the document reached the database without having been parsed"
            return
        }
        provider = parse.provider
        model = parse.model
        promptTokens = parse.promptTokens
        completionTokens = parse.completionTokens
        cachedTokens = parse.cachedTokens
        costUSD = parse.costUSD
        warnings += parse.warnings
        parseConfidence = parse.confidence?.core
        parseWeak = parse.confidence?.weak
        parseScores = parse.confidence?.fieldsJSON
        if parse.succeeded {
            status = .parsed
            parsed = parse.resumeJSON
        } else {
            errorCode = parse.errorCode ?? "parse_failed"
            errorDetail = parse.errorDetail
        }
    }
}
