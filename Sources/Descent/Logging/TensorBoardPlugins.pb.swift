// TensorBoard's plugin protos that `SummaryWriter` writes (text, PR curves, hyperparameters), in the form the
// SwiftProtobuf generator emits (the serialisation itself is SwiftProtobuf's). Field numbers and names are those of
//   tensorboard/compat/proto/summary.proto  message SummaryMetadata { PluginData plugin_data = 1; ... }
//                                           message SummaryMetadata.PluginData { string plugin_name = 1; bytes content = 2; }
//   tensorboard/compat/proto/tensor.proto   message TensorProto { DataType dtype = 1; TensorShapeProto tensor_shape = 2;
//                                             repeated float float_val = 5 [packed]; repeated bytes string_val = 8; ... }
//   tensorboard/compat/proto/tensor_shape.proto message TensorShapeProto { repeated Dim dim = 2; }  Dim { int64 size = 1; }
//   tensorboard/plugins/text/plugin_data.proto      message TextPluginData { int32 version = 1; }
//   tensorboard/plugins/pr_curve/plugin_data.proto  message PrCurvePluginData { int32 version = 1; uint32 num_thresholds = 2; }
//   tensorboard/plugins/hparams/plugin_data.proto   message HParamsPluginData { int32 version = 1; oneof data {
//                                             Experiment experiment = 2; SessionStartInfo session_start_info = 3;
//                                             SessionEndInfo session_end_info = 4; } }
//                                           message SessionStartInfo { map<string, google.protobuf.Value> hparams = 1; ... }
//                                           message SessionEndInfo { Status status = 1; ... }
//   tensorboard/plugins/hparams/api.proto   message Experiment { repeated HParamInfo hparam_infos = 4; repeated MetricInfo metric_infos = 5; ... }
//                                           message HParamInfo { string name = 1; DataType type = 4; google.protobuf.ListValue domain_discrete = 5; ... }
//                                           message MetricInfo { MetricName name = 1; ... }  MetricName { string group = 1; string tag = 2; }
// Enum fields are written as their int32 numbers (the same varint on the wire). Fields these do not have are skipped when read.
import Foundation
import SwiftProtobuf

/// `SummaryMetadata`: which plugin reads a value, and that plugin's own settings.
struct TBSummaryMetadata: Sendable {
    var pluginData: PluginData? = nil
    struct PluginData: Sendable {
        var pluginName: String = ""
        var content = Data()
        var unknownFields = SwiftProtobuf.UnknownStorage()
        init() {}
    }
    var unknownFields = SwiftProtobuf.UnknownStorage()
    init() {}
    /// Metadata naming `plugin` with the serialised plugin settings `content`.
    init(plugin: String, content: [UInt8]) {
        var p = PluginData()
        p.pluginName = plugin
        p.content = Data(content)
        pluginData = p
    }
}

/// `TensorProto`, with the value lists TensorBoard's plugins use (floats and byte strings).
struct TBTensor: Sendable {
    static let dtFloat: Int32 = 1, dtString: Int32 = 7
    var dtype: Int32 = 0
    var shape: TBTensorShape? = nil
    var floatVal: [Float] = []
    var stringVal: [Data] = []
    var unknownFields = SwiftProtobuf.UnknownStorage()
    init() {}
}

/// `TensorShapeProto`: the sizes of a tensor's dimensions.
struct TBTensorShape: Sendable {
    var dim: [Dim] = []
    struct Dim: Sendable {
        var size: Int64 = 0
        var unknownFields = SwiftProtobuf.UnknownStorage()
        init() {}
    }
    var unknownFields = SwiftProtobuf.UnknownStorage()
    init() {}
    init(_ sizes: [Int]) { dim = sizes.map { var d = Dim(); d.size = Int64($0); return d } }
}

/// `TextPluginData` and `PrCurvePluginData`: a version and, for PR curves, the number of thresholds.
struct TBPluginVersion: Sendable {
    var version: Int32 = 0
    var numThresholds: UInt32 = 0
    var unknownFields = SwiftProtobuf.UnknownStorage()
    init() {}
}

/// `HParamsPluginData`: one of the experiment, a session's start (its hyperparameters) or its end.
struct TBHParamsPluginData: Sendable {
    var version: Int32 = 0
    var experiment: TBExperiment? = nil
    var sessionStartInfo: TBSessionStartInfo? = nil
    var sessionEndInfo: TBSessionEndInfo? = nil
    var unknownFields = SwiftProtobuf.UnknownStorage()
    init() {}
}

/// `hparams.Experiment`: the hyperparameters' names, types and domains, and the metrics' tags.
struct TBExperiment: Sendable {
    var hparamInfos: [HParamInfo] = []
    var metricInfos: [MetricInfo] = []
    struct HParamInfo: Sendable {
        static let typeString: Int32 = 1, typeFloat64: Int32 = 3
        var name: String = ""
        var type: Int32 = 0
        var domainDiscrete: Google_Protobuf_ListValue? = nil
        var unknownFields = SwiftProtobuf.UnknownStorage()
        init() {}
    }
    /// `MetricInfo` with its `MetricName` (group, tag) flattened.
    struct MetricInfo: Sendable {
        var group: String = ""
        var tag: String = ""
        var unknownFields = SwiftProtobuf.UnknownStorage()
        init() {}
    }
    var unknownFields = SwiftProtobuf.UnknownStorage()
    init() {}
}

/// `hparams.SessionStartInfo`: the session's hyperparameter values.
struct TBSessionStartInfo: Sendable {
    var hparams: [String: Google_Protobuf_Value] = [:]
    var unknownFields = SwiftProtobuf.UnknownStorage()
    init() {}
}

/// `hparams.SessionEndInfo`: how the session ended (1: success).
struct TBSessionEndInfo: Sendable {
    static let statusSuccess: Int32 = 1
    var status: Int32 = 0
    var unknownFields = SwiftProtobuf.UnknownStorage()
    init() {}
}

// MARK: - SwiftProtobuf conformances

extension TBSummaryMetadata: SwiftProtobuf.Message, SwiftProtobuf._MessageImplementationBase, SwiftProtobuf._ProtoNameProviding {
    static let protoMessageName: String = "tensorboard.SummaryMetadata"
    static let _protobuf_nameMap = SwiftProtobuf._NameMap(bytecode: "\0\u{3}plugin_data\0")
    mutating func decodeMessage<D: SwiftProtobuf.Decoder>(decoder: inout D) throws {
        while let n = try decoder.nextFieldNumber() { if n == 1 { try decoder.decodeSingularMessageField(value: &pluginData) } }
    }
    func traverse<V: SwiftProtobuf.Visitor>(visitor: inout V) throws {
        if let v = pluginData { try visitor.visitSingularMessageField(value: v, fieldNumber: 1) }
        try unknownFields.traverse(visitor: &visitor)
    }
    static func == (lhs: Self, rhs: Self) -> Bool { lhs.pluginData == rhs.pluginData && lhs.unknownFields == rhs.unknownFields }
}

extension TBSummaryMetadata.PluginData: SwiftProtobuf.Message, SwiftProtobuf._MessageImplementationBase, SwiftProtobuf._ProtoNameProviding {
    static let protoMessageName: String = "tensorboard.SummaryMetadata.PluginData"
    static let _protobuf_nameMap = SwiftProtobuf._NameMap(bytecode: "\0\u{3}plugin_name\0\u{1}content\0")
    mutating func decodeMessage<D: SwiftProtobuf.Decoder>(decoder: inout D) throws {
        while let n = try decoder.nextFieldNumber() {
            switch n {
            case 1: try decoder.decodeSingularStringField(value: &pluginName)
            case 2: try decoder.decodeSingularBytesField(value: &content)
            default: break
            }
        }
    }
    func traverse<V: SwiftProtobuf.Visitor>(visitor: inout V) throws {
        if !pluginName.isEmpty { try visitor.visitSingularStringField(value: pluginName, fieldNumber: 1) }
        if !content.isEmpty { try visitor.visitSingularBytesField(value: content, fieldNumber: 2) }
        try unknownFields.traverse(visitor: &visitor)
    }
    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.pluginName == rhs.pluginName && lhs.content == rhs.content && lhs.unknownFields == rhs.unknownFields
    }
}

extension TBTensor: SwiftProtobuf.Message, SwiftProtobuf._MessageImplementationBase, SwiftProtobuf._ProtoNameProviding {
    static let protoMessageName: String = "tensorboard.TensorProto"
    static let _protobuf_nameMap = SwiftProtobuf._NameMap(bytecode: "\0\u{1}dtype\0\u{3}tensor_shape\0\u{4}\u{3}float_val\0\u{4}\u{3}string_val\0")
    mutating func decodeMessage<D: SwiftProtobuf.Decoder>(decoder: inout D) throws {
        while let n = try decoder.nextFieldNumber() {
            switch n {
            case 1: try decoder.decodeSingularInt32Field(value: &dtype)
            case 2: try decoder.decodeSingularMessageField(value: &shape)
            case 5: try decoder.decodeRepeatedFloatField(value: &floatVal)
            case 8: try decoder.decodeRepeatedBytesField(value: &stringVal)
            default: break
            }
        }
    }
    func traverse<V: SwiftProtobuf.Visitor>(visitor: inout V) throws {
        if dtype != 0 { try visitor.visitSingularInt32Field(value: dtype, fieldNumber: 1) }
        if let v = shape { try visitor.visitSingularMessageField(value: v, fieldNumber: 2) }
        if !floatVal.isEmpty { try visitor.visitPackedFloatField(value: floatVal, fieldNumber: 5) }
        if !stringVal.isEmpty { try visitor.visitRepeatedBytesField(value: stringVal, fieldNumber: 8) }
        try unknownFields.traverse(visitor: &visitor)
    }
    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.dtype == rhs.dtype && lhs.shape == rhs.shape && lhs.floatVal == rhs.floatVal && lhs.stringVal == rhs.stringVal
            && lhs.unknownFields == rhs.unknownFields
    }
}

extension TBTensorShape: SwiftProtobuf.Message, SwiftProtobuf._MessageImplementationBase, SwiftProtobuf._ProtoNameProviding {
    static let protoMessageName: String = "tensorboard.TensorShapeProto"
    static let _protobuf_nameMap = SwiftProtobuf._NameMap(bytecode: "\0\u{2}\u{2}dim\0")
    mutating func decodeMessage<D: SwiftProtobuf.Decoder>(decoder: inout D) throws {
        while let n = try decoder.nextFieldNumber() { if n == 2 { try decoder.decodeRepeatedMessageField(value: &dim) } }
    }
    func traverse<V: SwiftProtobuf.Visitor>(visitor: inout V) throws {
        if !dim.isEmpty { try visitor.visitRepeatedMessageField(value: dim, fieldNumber: 2) }
        try unknownFields.traverse(visitor: &visitor)
    }
    static func == (lhs: Self, rhs: Self) -> Bool { lhs.dim == rhs.dim && lhs.unknownFields == rhs.unknownFields }
}

extension TBTensorShape.Dim: SwiftProtobuf.Message, SwiftProtobuf._MessageImplementationBase, SwiftProtobuf._ProtoNameProviding {
    static let protoMessageName: String = "tensorboard.TensorShapeProto.Dim"
    static let _protobuf_nameMap = SwiftProtobuf._NameMap(bytecode: "\0\u{1}size\0")
    mutating func decodeMessage<D: SwiftProtobuf.Decoder>(decoder: inout D) throws {
        while let n = try decoder.nextFieldNumber() { if n == 1 { try decoder.decodeSingularInt64Field(value: &size) } }
    }
    func traverse<V: SwiftProtobuf.Visitor>(visitor: inout V) throws {
        if size != 0 { try visitor.visitSingularInt64Field(value: size, fieldNumber: 1) }
        try unknownFields.traverse(visitor: &visitor)
    }
    static func == (lhs: Self, rhs: Self) -> Bool { lhs.size == rhs.size && lhs.unknownFields == rhs.unknownFields }
}

extension TBPluginVersion: SwiftProtobuf.Message, SwiftProtobuf._MessageImplementationBase, SwiftProtobuf._ProtoNameProviding {
    static let protoMessageName: String = "tensorboard.PrCurvePluginData"
    static let _protobuf_nameMap = SwiftProtobuf._NameMap(bytecode: "\0\u{1}version\0\u{3}num_thresholds\0")
    mutating func decodeMessage<D: SwiftProtobuf.Decoder>(decoder: inout D) throws {
        while let n = try decoder.nextFieldNumber() {
            switch n {
            case 1: try decoder.decodeSingularInt32Field(value: &version)
            case 2: try decoder.decodeSingularUInt32Field(value: &numThresholds)
            default: break
            }
        }
    }
    func traverse<V: SwiftProtobuf.Visitor>(visitor: inout V) throws {
        if version != 0 { try visitor.visitSingularInt32Field(value: version, fieldNumber: 1) }
        if numThresholds != 0 { try visitor.visitSingularUInt32Field(value: numThresholds, fieldNumber: 2) }
        try unknownFields.traverse(visitor: &visitor)
    }
    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.version == rhs.version && lhs.numThresholds == rhs.numThresholds && lhs.unknownFields == rhs.unknownFields
    }
}

extension TBHParamsPluginData: SwiftProtobuf.Message, SwiftProtobuf._MessageImplementationBase, SwiftProtobuf._ProtoNameProviding {
    static let protoMessageName: String = "tensorboard.hparams.HParamsPluginData"
    static let _protobuf_nameMap = SwiftProtobuf._NameMap(bytecode: "\0\u{1}version\0\u{1}experiment\0\u{3}session_start_info\0\u{3}session_end_info\0")
    mutating func decodeMessage<D: SwiftProtobuf.Decoder>(decoder: inout D) throws {
        while let n = try decoder.nextFieldNumber() {
            switch n {
            case 1: try decoder.decodeSingularInt32Field(value: &version)
            case 2: try decoder.decodeSingularMessageField(value: &experiment)
            case 3: try decoder.decodeSingularMessageField(value: &sessionStartInfo)
            case 4: try decoder.decodeSingularMessageField(value: &sessionEndInfo)
            default: break
            }
        }
    }
    func traverse<V: SwiftProtobuf.Visitor>(visitor: inout V) throws {
        if version != 0 { try visitor.visitSingularInt32Field(value: version, fieldNumber: 1) }
        if let v = experiment { try visitor.visitSingularMessageField(value: v, fieldNumber: 2) }
        if let v = sessionStartInfo { try visitor.visitSingularMessageField(value: v, fieldNumber: 3) }
        if let v = sessionEndInfo { try visitor.visitSingularMessageField(value: v, fieldNumber: 4) }
        try unknownFields.traverse(visitor: &visitor)
    }
    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.version == rhs.version && lhs.experiment == rhs.experiment && lhs.sessionStartInfo == rhs.sessionStartInfo
            && lhs.sessionEndInfo == rhs.sessionEndInfo && lhs.unknownFields == rhs.unknownFields
    }
}

extension TBExperiment: SwiftProtobuf.Message, SwiftProtobuf._MessageImplementationBase, SwiftProtobuf._ProtoNameProviding {
    static let protoMessageName: String = "tensorboard.hparams.Experiment"
    static let _protobuf_nameMap = SwiftProtobuf._NameMap(bytecode: "\0\u{4}\u{4}hparam_infos\0\u{3}metric_infos\0")
    mutating func decodeMessage<D: SwiftProtobuf.Decoder>(decoder: inout D) throws {
        while let n = try decoder.nextFieldNumber() {
            switch n {
            case 4: try decoder.decodeRepeatedMessageField(value: &hparamInfos)
            case 5: try decoder.decodeRepeatedMessageField(value: &metricInfos)
            default: break
            }
        }
    }
    func traverse<V: SwiftProtobuf.Visitor>(visitor: inout V) throws {
        if !hparamInfos.isEmpty { try visitor.visitRepeatedMessageField(value: hparamInfos, fieldNumber: 4) }
        if !metricInfos.isEmpty { try visitor.visitRepeatedMessageField(value: metricInfos, fieldNumber: 5) }
        try unknownFields.traverse(visitor: &visitor)
    }
    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.hparamInfos == rhs.hparamInfos && lhs.metricInfos == rhs.metricInfos && lhs.unknownFields == rhs.unknownFields
    }
}

extension TBExperiment.HParamInfo: SwiftProtobuf.Message, SwiftProtobuf._MessageImplementationBase, SwiftProtobuf._ProtoNameProviding {
    static let protoMessageName: String = "tensorboard.hparams.HParamInfo"
    static let _protobuf_nameMap = SwiftProtobuf._NameMap(bytecode: "\0\u{1}name\0\u{2}\u{3}type\0\u{3}domain_discrete\0")
    mutating func decodeMessage<D: SwiftProtobuf.Decoder>(decoder: inout D) throws {
        while let n = try decoder.nextFieldNumber() {
            switch n {
            case 1: try decoder.decodeSingularStringField(value: &name)
            case 4: try decoder.decodeSingularInt32Field(value: &type)
            case 5: try decoder.decodeSingularMessageField(value: &domainDiscrete)
            default: break
            }
        }
    }
    func traverse<V: SwiftProtobuf.Visitor>(visitor: inout V) throws {
        if !name.isEmpty { try visitor.visitSingularStringField(value: name, fieldNumber: 1) }
        if type != 0 { try visitor.visitSingularInt32Field(value: type, fieldNumber: 4) }
        if let v = domainDiscrete { try visitor.visitSingularMessageField(value: v, fieldNumber: 5) }
        try unknownFields.traverse(visitor: &visitor)
    }
    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.name == rhs.name && lhs.type == rhs.type && lhs.domainDiscrete == rhs.domainDiscrete && lhs.unknownFields == rhs.unknownFields
    }
}

extension TBExperiment.MetricInfo: SwiftProtobuf.Message, SwiftProtobuf._MessageImplementationBase, SwiftProtobuf._ProtoNameProviding {
    static let protoMessageName: String = "tensorboard.hparams.MetricInfo"
    static let _protobuf_nameMap = SwiftProtobuf._NameMap(bytecode: "\0\u{1}name\0")
    /// The `MetricName` message nested in field 1.
    private struct Name: SwiftProtobuf.Message, SwiftProtobuf._MessageImplementationBase, SwiftProtobuf._ProtoNameProviding {
        static let protoMessageName: String = "tensorboard.hparams.MetricName"
        static let _protobuf_nameMap = SwiftProtobuf._NameMap(bytecode: "\0\u{1}group\0\u{1}tag\0")
        var group = "", tag = ""
        var unknownFields = SwiftProtobuf.UnknownStorage()
        init() {}
        mutating func decodeMessage<D: SwiftProtobuf.Decoder>(decoder: inout D) throws {
            while let n = try decoder.nextFieldNumber() {
                switch n {
                case 1: try decoder.decodeSingularStringField(value: &group)
                case 2: try decoder.decodeSingularStringField(value: &tag)
                default: break
                }
            }
        }
        func traverse<V: SwiftProtobuf.Visitor>(visitor: inout V) throws {
            if !group.isEmpty { try visitor.visitSingularStringField(value: group, fieldNumber: 1) }
            if !tag.isEmpty { try visitor.visitSingularStringField(value: tag, fieldNumber: 2) }
            try unknownFields.traverse(visitor: &visitor)
        }
        static func == (lhs: Self, rhs: Self) -> Bool { lhs.group == rhs.group && lhs.tag == rhs.tag && lhs.unknownFields == rhs.unknownFields }
    }
    mutating func decodeMessage<D: SwiftProtobuf.Decoder>(decoder: inout D) throws {
        while let n = try decoder.nextFieldNumber() {
            if n == 1 {
                var name: Name? = nil
                try decoder.decodeSingularMessageField(value: &name)
                if let name { group = name.group; tag = name.tag }
            }
        }
    }
    func traverse<V: SwiftProtobuf.Visitor>(visitor: inout V) throws {
        var name = Name()
        name.group = group
        name.tag = tag
        try visitor.visitSingularMessageField(value: name, fieldNumber: 1)
        try unknownFields.traverse(visitor: &visitor)
    }
    static func == (lhs: Self, rhs: Self) -> Bool { lhs.group == rhs.group && lhs.tag == rhs.tag && lhs.unknownFields == rhs.unknownFields }
}

extension TBSessionStartInfo: SwiftProtobuf.Message, SwiftProtobuf._MessageImplementationBase, SwiftProtobuf._ProtoNameProviding {
    static let protoMessageName: String = "tensorboard.hparams.SessionStartInfo"
    static let _protobuf_nameMap = SwiftProtobuf._NameMap(bytecode: "\0\u{1}hparams\0")
    mutating func decodeMessage<D: SwiftProtobuf.Decoder>(decoder: inout D) throws {
        while let n = try decoder.nextFieldNumber() {
            if n == 1 {
                try decoder.decodeMapField(fieldType: SwiftProtobuf._ProtobufMessageMap<SwiftProtobuf.ProtobufString, Google_Protobuf_Value>.self, value: &hparams)
            }
        }
    }
    func traverse<V: SwiftProtobuf.Visitor>(visitor: inout V) throws {
        if !hparams.isEmpty {
            try visitor.visitMapField(fieldType: SwiftProtobuf._ProtobufMessageMap<SwiftProtobuf.ProtobufString, Google_Protobuf_Value>.self,
                                      value: hparams, fieldNumber: 1)
        }
        try unknownFields.traverse(visitor: &visitor)
    }
    static func == (lhs: Self, rhs: Self) -> Bool { lhs.hparams == rhs.hparams && lhs.unknownFields == rhs.unknownFields }
}

extension TBSessionEndInfo: SwiftProtobuf.Message, SwiftProtobuf._MessageImplementationBase, SwiftProtobuf._ProtoNameProviding {
    static let protoMessageName: String = "tensorboard.hparams.SessionEndInfo"
    static let _protobuf_nameMap = SwiftProtobuf._NameMap(bytecode: "\0\u{1}status\0")
    mutating func decodeMessage<D: SwiftProtobuf.Decoder>(decoder: inout D) throws {
        while let n = try decoder.nextFieldNumber() { if n == 1 { try decoder.decodeSingularInt32Field(value: &status) } }
    }
    func traverse<V: SwiftProtobuf.Visitor>(visitor: inout V) throws {
        if status != 0 { try visitor.visitSingularInt32Field(value: status, fieldNumber: 1) }
        try unknownFields.traverse(visitor: &visitor)
    }
    static func == (lhs: Self, rhs: Self) -> Bool { lhs.status == rhs.status && lhs.unknownFields == rhs.unknownFields }
}
