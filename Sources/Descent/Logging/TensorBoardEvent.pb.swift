// The subset of TensorBoard's event protos that scalar logging needs, in the form the SwiftProtobuf
// generator emits (the serialisation itself is SwiftProtobuf's). Field numbers and names are those of
//   tensorboard/compat/proto/event.proto    message Event { double wall_time = 1; int64 step = 2;
//                                             oneof what { string file_version = 3; Summary summary = 5; ... } }
//   tensorboard/compat/proto/summary.proto  message Summary { repeated Value value = 1; }
//                                           message Summary.Value { string tag = 1; oneof value { float simple_value = 2;
//                                             Image image = 4; HistogramProto histo = 5; TensorProto tensor = 8; ... }
//                                             SummaryMetadata metadata = 9; }
//                                           message Summary.Image { int32 height = 1; int32 width = 2; int32 colorspace = 3;
//                                             bytes encoded_image_string = 4; }
//   tensorboard/compat/proto/histogram.proto message HistogramProto { double min = 1; double max = 2; double num = 3;
//                                             double sum = 4; double sum_squares = 5; repeated double bucket_limit = 6 [packed];
//                                             repeated double bucket = 7 [packed]; }
// The plugins' protos (text, PR curves, hparams, tensors) are in TensorBoardPlugins.pb.swift.
// Fields TensorBoard has and these do not (graphs, audio, ...) are skipped when an event is read.
import Foundation
import SwiftProtobuf

/// A TensorBoard `Event`.
struct TBEvent: Sendable {
    var wallTime: Double = 0
    var step: Int64 = 0
    var what: What? = nil
    enum What: Equatable, Sendable {
        case fileVersion(String)
        case summary(TBSummary)
    }
    var unknownFields = SwiftProtobuf.UnknownStorage()
    init() {}
}

/// A TensorBoard `Summary`: a list of tagged values.
struct TBSummary: Sendable {
    var value: [Value] = []
    struct Value: Sendable {
        var tag: String = ""
        var simpleValue: Float? = nil
        var image: TBImage? = nil
        var histo: TBHistogram? = nil
        var tensor: TBTensor? = nil
        var metadata: TBSummaryMetadata? = nil
        var unknownFields = SwiftProtobuf.UnknownStorage()
        init() {}
    }
    var unknownFields = SwiftProtobuf.UnknownStorage()
    init() {}
}

extension TBEvent: SwiftProtobuf.Message, SwiftProtobuf._MessageImplementationBase, SwiftProtobuf._ProtoNameProviding {
    static let protoMessageName: String = "tensorboard.Event"
    static let _protobuf_nameMap = SwiftProtobuf._NameMap(bytecode: "\0\u{3}wall_time\0\u{1}step\0\u{3}file_version\0\u{2}\u{2}summary\0")

    mutating func decodeMessage<D: SwiftProtobuf.Decoder>(decoder: inout D) throws {
        while let fieldNumber = try decoder.nextFieldNumber() {
            switch fieldNumber {
            case 1: try decoder.decodeSingularDoubleField(value: &wallTime)
            case 2: try decoder.decodeSingularInt64Field(value: &step)
            case 3:
                var v: String?
                try decoder.decodeSingularStringField(value: &v)
                if let v { what = .fileVersion(v) }
            case 5:
                var v: TBSummary?
                if case .summary(let m)? = what { v = m }
                try decoder.decodeSingularMessageField(value: &v)
                if let v { what = .summary(v) }
            default: break
            }
        }
    }

    func traverse<V: SwiftProtobuf.Visitor>(visitor: inout V) throws {
        if wallTime.bitPattern != 0 { try visitor.visitSingularDoubleField(value: wallTime, fieldNumber: 1) }
        if step != 0 { try visitor.visitSingularInt64Field(value: step, fieldNumber: 2) }
        switch what {
        case .fileVersion(let v)?: try visitor.visitSingularStringField(value: v, fieldNumber: 3)
        case .summary(let v)?: try visitor.visitSingularMessageField(value: v, fieldNumber: 5)
        case nil: break
        }
        try unknownFields.traverse(visitor: &visitor)
    }

    static func == (lhs: TBEvent, rhs: TBEvent) -> Bool {
        lhs.wallTime == rhs.wallTime && lhs.step == rhs.step && lhs.what == rhs.what && lhs.unknownFields == rhs.unknownFields
    }
}

extension TBSummary: SwiftProtobuf.Message, SwiftProtobuf._MessageImplementationBase, SwiftProtobuf._ProtoNameProviding {
    static let protoMessageName: String = "tensorboard.Summary"
    static let _protobuf_nameMap = SwiftProtobuf._NameMap(bytecode: "\0\u{1}value\0")

    mutating func decodeMessage<D: SwiftProtobuf.Decoder>(decoder: inout D) throws {
        while let fieldNumber = try decoder.nextFieldNumber() {
            switch fieldNumber {
            case 1: try decoder.decodeRepeatedMessageField(value: &value)
            default: break
            }
        }
    }

    func traverse<V: SwiftProtobuf.Visitor>(visitor: inout V) throws {
        if !value.isEmpty { try visitor.visitRepeatedMessageField(value: value, fieldNumber: 1) }
        try unknownFields.traverse(visitor: &visitor)
    }

    static func == (lhs: TBSummary, rhs: TBSummary) -> Bool {
        lhs.value == rhs.value && lhs.unknownFields == rhs.unknownFields
    }
}

extension TBSummary.Value: SwiftProtobuf.Message, SwiftProtobuf._MessageImplementationBase, SwiftProtobuf._ProtoNameProviding {
    static let protoMessageName: String = "tensorboard.Summary.Value"
    static let _protobuf_nameMap = SwiftProtobuf._NameMap(bytecode: "\0\u{1}tag\0\u{3}simple_value\0\u{2}\u{2}image\0\u{1}histo\0\u{2}\u{3}tensor\0\u{1}metadata\0")

    mutating func decodeMessage<D: SwiftProtobuf.Decoder>(decoder: inout D) throws {
        while let fieldNumber = try decoder.nextFieldNumber() {
            switch fieldNumber {
            case 1: try decoder.decodeSingularStringField(value: &tag)
            case 2: try decoder.decodeSingularFloatField(value: &simpleValue)
            case 4: try decoder.decodeSingularMessageField(value: &image)
            case 5: try decoder.decodeSingularMessageField(value: &histo)
            case 8: try decoder.decodeSingularMessageField(value: &tensor)
            case 9: try decoder.decodeSingularMessageField(value: &metadata)
            default: break
            }
        }
    }

    func traverse<V: SwiftProtobuf.Visitor>(visitor: inout V) throws {
        if !tag.isEmpty { try visitor.visitSingularStringField(value: tag, fieldNumber: 1) }
        if let v = simpleValue { try visitor.visitSingularFloatField(value: v, fieldNumber: 2) }
        if let v = image { try visitor.visitSingularMessageField(value: v, fieldNumber: 4) }
        if let v = histo { try visitor.visitSingularMessageField(value: v, fieldNumber: 5) }
        if let v = tensor { try visitor.visitSingularMessageField(value: v, fieldNumber: 8) }
        if let v = metadata { try visitor.visitSingularMessageField(value: v, fieldNumber: 9) }
        try unknownFields.traverse(visitor: &visitor)
    }

    static func == (lhs: TBSummary.Value, rhs: TBSummary.Value) -> Bool {
        lhs.tag == rhs.tag && lhs.simpleValue == rhs.simpleValue && lhs.image == rhs.image && lhs.histo == rhs.histo
            && lhs.tensor == rhs.tensor && lhs.metadata == rhs.metadata && lhs.unknownFields == rhs.unknownFields
    }
}

/// A TensorBoard `Summary.Image`: an encoded (PNG) image and its size.
struct TBImage: Sendable {
    var height: Int32 = 0
    var width: Int32 = 0
    var colorspace: Int32 = 0
    var encodedImageString: [UInt8] = []
    var unknownFields = SwiftProtobuf.UnknownStorage()
    init() {}
}

extension TBImage: SwiftProtobuf.Message, SwiftProtobuf._MessageImplementationBase, SwiftProtobuf._ProtoNameProviding {
    static let protoMessageName: String = "tensorboard.Summary.Image"
    static let _protobuf_nameMap = SwiftProtobuf._NameMap(bytecode: "\0\u{1}height\0\u{1}width\0\u{1}colorspace\0\u{3}encoded_image_string\0")

    mutating func decodeMessage<D: SwiftProtobuf.Decoder>(decoder: inout D) throws {
        while let fieldNumber = try decoder.nextFieldNumber() {
            switch fieldNumber {
            case 1: try decoder.decodeSingularInt32Field(value: &height)
            case 2: try decoder.decodeSingularInt32Field(value: &width)
            case 3: try decoder.decodeSingularInt32Field(value: &colorspace)
            case 4:
                var d = Data()
                try decoder.decodeSingularBytesField(value: &d)
                encodedImageString = [UInt8](d)
            default: break
            }
        }
    }

    func traverse<V: SwiftProtobuf.Visitor>(visitor: inout V) throws {
        if height != 0 { try visitor.visitSingularInt32Field(value: height, fieldNumber: 1) }
        if width != 0 { try visitor.visitSingularInt32Field(value: width, fieldNumber: 2) }
        if colorspace != 0 { try visitor.visitSingularInt32Field(value: colorspace, fieldNumber: 3) }
        if !encodedImageString.isEmpty { try visitor.visitSingularBytesField(value: Data(encodedImageString), fieldNumber: 4) }
        try unknownFields.traverse(visitor: &visitor)
    }

    static func == (lhs: TBImage, rhs: TBImage) -> Bool {
        lhs.height == rhs.height && lhs.width == rhs.width && lhs.colorspace == rhs.colorspace
            && lhs.encodedImageString == rhs.encodedImageString && lhs.unknownFields == rhs.unknownFields
    }
}

/// A TensorBoard `HistogramProto`: statistics and bucket counts, each bucket given by its right edge.
struct TBHistogram: Sendable {
    var min: Double = 0, max: Double = 0, num: Double = 0, sum: Double = 0, sumSquares: Double = 0
    var bucketLimit: [Double] = []
    var bucket: [Double] = []
    var unknownFields = SwiftProtobuf.UnknownStorage()
    init() {}
}

extension TBHistogram: SwiftProtobuf.Message, SwiftProtobuf._MessageImplementationBase, SwiftProtobuf._ProtoNameProviding {
    static let protoMessageName: String = "tensorboard.HistogramProto"
    static let _protobuf_nameMap = SwiftProtobuf._NameMap(bytecode: "\0\u{1}min\0\u{1}max\0\u{1}num\0\u{1}sum\0\u{3}sum_squares\0\u{3}bucket_limit\0\u{1}bucket\0")

    mutating func decodeMessage<D: SwiftProtobuf.Decoder>(decoder: inout D) throws {
        while let fieldNumber = try decoder.nextFieldNumber() {
            switch fieldNumber {
            case 1: try decoder.decodeSingularDoubleField(value: &min)
            case 2: try decoder.decodeSingularDoubleField(value: &max)
            case 3: try decoder.decodeSingularDoubleField(value: &num)
            case 4: try decoder.decodeSingularDoubleField(value: &sum)
            case 5: try decoder.decodeSingularDoubleField(value: &sumSquares)
            case 6: try decoder.decodeRepeatedDoubleField(value: &bucketLimit)
            case 7: try decoder.decodeRepeatedDoubleField(value: &bucket)
            default: break
            }
        }
    }

    func traverse<V: SwiftProtobuf.Visitor>(visitor: inout V) throws {
        if min.bitPattern != 0 { try visitor.visitSingularDoubleField(value: min, fieldNumber: 1) }
        if max.bitPattern != 0 { try visitor.visitSingularDoubleField(value: max, fieldNumber: 2) }
        if num.bitPattern != 0 { try visitor.visitSingularDoubleField(value: num, fieldNumber: 3) }
        if sum.bitPattern != 0 { try visitor.visitSingularDoubleField(value: sum, fieldNumber: 4) }
        if sumSquares.bitPattern != 0 { try visitor.visitSingularDoubleField(value: sumSquares, fieldNumber: 5) }
        if !bucketLimit.isEmpty { try visitor.visitPackedDoubleField(value: bucketLimit, fieldNumber: 6) }
        if !bucket.isEmpty { try visitor.visitPackedDoubleField(value: bucket, fieldNumber: 7) }
        try unknownFields.traverse(visitor: &visitor)
    }

    static func == (lhs: TBHistogram, rhs: TBHistogram) -> Bool {
        lhs.min == rhs.min && lhs.max == rhs.max && lhs.num == rhs.num && lhs.sum == rhs.sum && lhs.sumSquares == rhs.sumSquares
            && lhs.bucketLimit == rhs.bucketLimit && lhs.bucket == rhs.bucket && lhs.unknownFields == rhs.unknownFields
    }
}
