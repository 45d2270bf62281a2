var An=Object.defineProperty;var kn=(n,e,t)=>e in n?An(n,e,{enumerable:!0,configurable:!0,writable:!0,value:t}):n[e]=t;var ae=(n,e,t)=>kn(n,typeof e!="symbol"?e+"":e,t);import{l as Sn,a as ln,c as Tn}from"./session-store-hzdpVdYT.js";var he,y,dn,W,je,cn,un,be,de,te,_n,De,we,Ue,pe={},me=[],Dn=/acit|ex(?:s|g|n|p|$)|rph|grid|ows|mnc|ntw|ine[ch]|zoo|^ord|itera/i,ve=Array.isArray;function H(n,e){for(var t in e)n[t]=e[t];return n}function Pe(n){n&&n.parentNode&&n.parentNode.removeChild(n)}function Pn(n,e,t){var s,r,i,c={};for(i in e)i=="key"?s=e[i]:i=="ref"?r=e[i]:c[i]=e[i];if(arguments.length>2&&(c.children=arguments.length>3?he.call(arguments,2):t),typeof n=="function"&&n.defaultProps!=null)for(i in n.defaultProps)c[i]===void 0&&(c[i]=n.defaultProps[i]);return ce(n,c,s,r,null)}function ce(n,e,t,s,r){var i={type:n,props:e,key:t,ref:s,__k:null,__:null,__b:0,__e:null,__c:null,constructor:void 0,__v:r??++dn,__i:-1,__u:0};return r==null&&y.vnode!=null&&y.vnode(i),i}function ie(n){return n.children}function ue(n,e){this.props=n,this.context=e}function G(n,e){if(e==null)return n.__?G(n.__,n.__i+1):null;for(var t;e<n.__k.length;e++)if((t=n.__k[e])!=null&&t.__e!=null)return t.__e;return typeof n.type=="function"?G(n):null}function Nn(n){if(n.__P&&n.__d){var e=n.__v,t=e.__e,s=[],r=[],i=H({},e);i.__v=e.__v+1,y.vnode&&y.vnode(i),Ne(n.__P,i,e,n.__n,n.__P.namespaceURI,32&e.__u?[t]:null,s,t??G(e),!!(32&e.__u),r),i.__v=e.__v,i.__.__k[i.__i]=i,hn(s,i,r),e.__e=e.__=null,i.__e!=t&&pn(i)}}function pn(n){if((n=n.__)!=null&&n.__c!=null)return n.__e=n.__c.base=null,n.__k.some(function(e){if(e!=null&&e.__e!=null)return n.__e=n.__c.base=e.__e}),pn(n)}function We(n){(!n.__d&&(n.__d=!0)&&W.push(n)&&!fe.__r++||je!=y.debounceRendering)&&((je=y.debounceRendering)||cn)(fe)}function fe(){try{for(var n,e=1;W.length;)W.length>e&&W.sort(un),n=W.shift(),e=W.length,Nn(n)}finally{W.length=fe.__r=0}}function mn(n,e,t,s,r,i,c,d,u,a,_){var f,o,m,F,P,M,$=s&&s.__k||me,v=e.length;for(u=xn(t,e,$,u,v),f=0;f<v;f++)(m=t.__k[f])!=null&&(o=m.__i!=-1&&$[m.__i]||pe,m.__i=f,M=Ne(n,m,o,r,i,c,d,u,a,_),F=m.__e,m.ref&&o.ref!=m.ref&&(o.ref&&xe(o.ref,null,m),_.push(m.ref,m.__c||F,m)),P==null&&F!=null&&(P=F),4&m.__u?(u=fn(m,u,n),o.__e&&(o.__e=null)):typeof m.type=="function"&&M!==void 0?u=M:F&&(u=F.nextSibling),m.__u&=-7);return t.__e=P,u}function xn(n,e,t,s,r){var i,c,d,u,a,_=t.length,f=_,o=0;for(n.__k=new Array(r),i=0;i<r;i++)(c=e[i])!=null&&typeof c!="boolean"&&typeof c!="function"?(typeof c=="string"||typeof c=="number"||typeof c=="bigint"||c.constructor==String?c=n.__k[i]=ce(null,c,null,null,null):ve(c)?c=n.__k[i]=ce(ie,{children:c},null,null,null):c.constructor===void 0&&c.__b>0?c=n.__k[i]=ce(c.type,c.props,c.key,c.ref?c.ref:null,c.__v):n.__k[i]=c,u=i+o,c.__=n,c.__b=n.__b+1,d=null,(a=c.__i=Rn(c,t,u,f))!=-1&&(f--,(d=t[a])&&(d.__u|=2)),d==null||d.__v==null?(a==-1&&(r>_?o--:r<_&&o++),typeof c.type!="function"&&(c.__u|=4)):a!=u&&(a==u-1?o--:a==u+1?o++:(a>u?o--:o++,c.__u|=4))):n.__k[i]=null;if(f)for(i=0;i<_;i++)(d=t[i])!=null&&(2&d.__u)==0&&(d.__e==s&&(s=G(d)),yn(d,d));return s}function fn(n,e,t){var s,r;if(typeof n.type=="function"){for(s=n.__k,r=0;s&&r<s.length;r++)s[r]&&(s[r].__=n,e=fn(s[r],e,t));return e}n.__e!=e&&(e&&n.type&&!e.parentNode&&(e=G(n)),e=t.insertBefore(n.__e,e||null));do e=e&&e.nextSibling;while(e!=null&&e.nodeType==8);return e}function Rn(n,e,t,s){var r,i,c,d=n.key,u=n.type,a=e[t],_=a!=null&&(2&a.__u)==0;if(a===null&&d==null||_&&d==a.key&&u==a.type)return t;if(s>(_?1:0)){for(r=t-1,i=t+1;r>=0||i<e.length;)if((a=e[c=r>=0?r--:i++])!=null&&(2&a.__u)==0&&d==a.key&&u==a.type)return c}return-1}function Ve(n,e,t){e[0]=="-"?n.setProperty(e,t??""):n[e]=t==null?"":typeof t!="number"||Dn.test(e)?t:t+"px"}function le(n,e,t,s,r){var i,c;e:if(e=="style")if(typeof t=="string")n.style.cssText=t;else{if(typeof s=="string"&&(n.style.cssText=s=""),s)for(e in s)t&&e in t||Ve(n.style,e,"");if(t)for(e in t)s&&t[e]==s[e]||Ve(n.style,e,t[e])}else if(e[0]=="o"&&e[1]=="n")i=e!=(e=e.replace(_n,"$1")),c=e.toLowerCase(),e=c in n||e=="onFocusOut"||e=="onFocusIn"?c.slice(2):e.slice(2),n.l||(n.l={}),n.l[e+i]=t,t?s?t[te]=s[te]:(t[te]=De,n.addEventListener(e,i?Ue:we,i)):n.removeEventListener(e,i?Ue:we,i);else{if(r=="http://www.w3.org/2000/svg")e=e.replace(/xlink(H|:h)/,"h").replace(/sName$/,"s");else if(e!="width"&&e!="height"&&e!="href"&&e!="list"&&e!="form"&&e!="tabIndex"&&e!="download"&&e!="rowSpan"&&e!="colSpan"&&e!="role"&&e!="popover"&&e in n)try{n[e]=t??"";break e}catch{}typeof t=="function"||(t==null||t===!1&&e[4]!="-"?n.removeAttribute(e):n.setAttribute(e,e=="popover"&&t==1?"":t))}}function ze(n){return function(e){if(this.l){var t=this.l[e.type+n];if(e[de]==null)e[de]=De++;else if(e[de]<t[te])return;return t(y.event?y.event(e):e)}}}function Ne(n,e,t,s,r,i,c,d,u,a){var _,f,o,m,F,P,M,$,v,N,z,L,B,Y,R,O,x=e.type;if(e.constructor!==void 0)return null;128&t.__u&&(u=!!(32&t.__u),i=[d=e.__e=t.__e]),(_=y.__b)&&_(e);e:if(typeof x=="function"){f=c.length;try{if(v=e.props,N=x.prototype&&x.prototype.render,z=(_=x.contextType)&&s[_.__c],L=_?z?z.props.value:_.__:s,t.__c?$=(o=e.__c=t.__c).__=o.__E:(N?e.__c=o=new x(v,L):(e.__c=o=new ue(v,L),o.constructor=x,o.render=Ln),z&&z.sub(o),o.state||(o.state={}),o.__n=s,m=o.__d=!0,o.__h=[],o._sb=[]),N&&o.__s==null&&(o.__s=o.state),N&&x.getDerivedStateFromProps!=null&&(o.__s==o.state&&(o.__s=H({},o.__s)),H(o.__s,x.getDerivedStateFromProps(v,o.__s))),F=o.props,P=o.state,o.__v=e,m)N&&x.getDerivedStateFromProps==null&&o.componentWillMount!=null&&o.componentWillMount(),N&&o.componentDidMount!=null&&o.__h.push(o.componentDidMount);else{if(N&&x.getDerivedStateFromProps==null&&v!==F&&o.componentWillReceiveProps!=null&&o.componentWillReceiveProps(v,L),e.__v==t.__v||!o.__e&&o.shouldComponentUpdate!=null&&o.shouldComponentUpdate(v,o.__s,L)===!1){e.__v!=t.__v&&(o.props=v,o.state=o.__s,o.__d=!1),e.__e=t.__e,e.__k=t.__k,e.__k.some(function(E){E&&(E.__=e)}),me.push.apply(o.__h,o._sb),o._sb=[],o.__h.length&&c.push(o),d=G(t);break e}o.componentWillUpdate!=null&&o.componentWillUpdate(v,o.__s,L),N&&o.componentDidUpdate!=null&&o.__h.push(function(){o.componentDidUpdate(F,P,M)})}if(o.context=L,o.props=v,o.__P=n,o.__e=!1,B=y.__r,Y=0,N)o.state=o.__s,o.__d=!1,B&&B(e),_=o.render(o.props,o.state,o.context),me.push.apply(o.__h,o._sb),o._sb=[];else do o.__d=!1,B&&B(e),_=o.render(o.props,o.state,o.context),o.state=o.__s;while(o.__d&&++Y<25);o.state=o.__s,o.getChildContext!=null&&(s=H(H({},s),o.getChildContext())),N&&!m&&o.getSnapshotBeforeUpdate!=null&&(M=o.getSnapshotBeforeUpdate(F,P)),R=_!=null&&_.type===ie&&_.key==null?vn(_.props.children):_,d=mn(n,ve(R)?R:[R],e,t,s,r,i,c,d,u,a),o.base=e.__e,e.__u&=-161,o.__h.length&&c.push(o),$&&(o.__E=o.__=null)}catch(E){if(c.length=f,e.__v=null,u||i!=null){if(E.then){for(e.__u|=u?160:128;d&&d.nodeType==8&&d.nextSibling;)d=d.nextSibling;i!=null&&(i[i.indexOf(d)]=null),e.__e=d}else if(i!=null)for(O=i.length;O--;)Pe(i[O])}else e.__e=t.__e;e.__k==null&&(e.__k=t.__k||[]),E.then||gn(e),y.__e(E,e,t)}}else i==null&&e.__v==t.__v?(e.__k=t.__k,e.__e=t.__e):d=e.__e=En(t.__e,e,t,s,r,i,c,u,a);return(_=y.diffed)&&_(e),128&e.__u?void 0:d}function gn(n){n&&(n.__c&&(n.__c.__e=!0),n.__k&&n.__k.some(gn))}function hn(n,e,t){for(var s=0;s<t.length;s++)xe(t[s],t[++s],t[++s]);y.__c&&y.__c(e,n),n.some(function(r){try{n=r.__h,r.__h=[],n.some(function(i){i.call(r)})}catch(i){y.__e(i,r.__v)}})}function vn(n){return typeof n!="object"||n==null||n.__b>0?n:ve(n)?n.map(vn):n.constructor!==void 0?null:H({},n)}function En(n,e,t,s,r,i,c,d,u){var a,_,f,o,m,F,P,M=t.props||pe,$=e.props,v=e.type;if(v=="svg"?r="http://www.w3.org/2000/svg":v=="math"?r="http://www.w3.org/1998/Math/MathML":r||(r="http://www.w3.org/1999/xhtml"),i!=null){for(a=0;a<i.length;a++)if((m=i[a])&&"setAttribute"in m==!!v&&(v?m.localName==v:m.nodeType==3)){n=m,i[a]=null;break}}if(n==null){if(v==null)return document.createTextNode($);n=document.createElementNS(r,v,$.is&&$),d&&(y.__m&&y.__m(e,i),d=!1),i=null}if(v==null)M===$||d&&n.data==$||(n.data=$);else{if(i=v=="textarea"&&$.defaultValue!=null?null:i&&he.call(n.childNodes),!d&&i!=null)for(M={},a=0;a<n.attributes.length;a++)M[(m=n.attributes[a]).name]=m.value;for(a in M)m=M[a],a=="dangerouslySetInnerHTML"?f=m:a=="children"||a in $||a=="value"&&"defaultValue"in $||a=="checked"&&"defaultChecked"in $||le(n,a,null,m,r);for(a in $)m=$[a],a=="children"?o=m:a=="dangerouslySetInnerHTML"?_=m:a=="value"?F=m:a=="checked"?P=m:d&&typeof m!="function"||M[a]===m||le(n,a,m,M[a],r);if(_)d||f&&(_.__html==f.__html||_.__html==n.innerHTML)||(n.innerHTML=_.__html),e.__k=[];else if(f&&(n.innerHTML=""),mn(e.type=="template"?n.content:n,ve(o)?o:[o],e,t,s,v=="foreignObject"?"http://www.w3.org/1999/xhtml":r,i,c,i?i[0]:t.__k&&G(t,0),d,u),i!=null)for(a=i.length;a--;)Pe(i[a]);d&&v!="textarea"||(a="value",v=="progress"&&F==null?n.removeAttribute("value"):F!=null&&(F!==n[a]||v=="progress"&&!F||v=="option"&&F!=M[a])&&le(n,a,F,M[a],r),a="checked",P!=null&&P!=n[a]&&le(n,a,P,M[a],r))}return n}function xe(n,e,t){try{if(typeof n=="function"){var s=typeof n.__u=="function";s&&n.__u(),s&&e==null||(n.__u=n(e))}else n.current=e}catch(r){y.__e(r,t)}}function yn(n,e,t){var s,r;if(y.unmount&&y.unmount(n),(s=n.ref)&&(s.current&&s.current!=n.__e||xe(s,null,e)),(s=n.__c)!=null){if(s.componentWillUnmount)try{s.componentWillUnmount()}catch(i){y.__e(i,e)}s.base=s.__P=s.__n=null}if(s=n.__k)for(r=0;r<s.length;r++)s[r]&&yn(s[r],e,t||typeof n.type!="function");t||Pe(n.__e),n.__c=n.__=n.__e=void 0}function Ln(n,e,t){return this.constructor(n,t)}function Hn(n,e,t){var s,r,i,c;e==document&&(e=document.documentElement),y.__&&y.__(n,e),r=(s=!1)?null:e.__k,i=[],c=[],Ne(e,n=e.__k=Pn(ie,null,[n]),r||pe,pe,e.namespaceURI,r?null:e.firstChild?he.call(e.childNodes):null,i,r?r.__e:e.firstChild,s,c),hn(i,n,c),n.props.children=null}he=me.slice,y={__e:function(n,e,t,s){for(var r,i,c;e=e.__;)if((r=e.__c)&&!r.__)try{if((i=r.constructor)&&i.getDerivedStateFromError!=null&&(r.setState(i.getDerivedStateFromError(n)),c=r.__d),r.componentDidCatch!=null&&(r.componentDidCatch(n,s||{}),c=r.__d),c)return r.__E=r}catch(d){n=d}throw n}},dn=0,ue.prototype.setState=function(n,e){var t;t=this.__s!=null&&this.__s!=this.state?this.__s:this.__s=H({},this.state),typeof n=="function"&&(n=n(H({},t),this.props)),n&&H(t,n),n!=null&&this.__v&&(e&&this._sb.push(e),We(this))},ue.prototype.forceUpdate=function(n){this.__v&&(this.__e=!0,n&&this.__h.push(n),We(this))},ue.prototype.render=ie,W=[],cn=typeof Promise=="function"?Promise.prototype.then.bind(Promise.resolve()):setTimeout,un=function(n,e){return n.__v.__b-e.__v.__b},fe.__r=0,be=Math.random().toString(8),de="__d"+be,te="__a"+be,_n=/(PointerCapture)$|Capture$/i,De=0,we=ze(!1),Ue=ze(!0);var qn=0;function l(n,e,t,s,r,i){e||(e={});var c,d,u=e;if("ref"in u)for(d in u={},e)d=="ref"?c=e[d]:u[d]=e[d];var a={type:n,props:u,key:t,ref:c,__k:null,__:null,__b:0,__e:null,__c:null,constructor:void 0,__v:--qn,__i:-1,__u:0,__source:r,__self:i};if(typeof n=="function"&&(c=n.defaultProps))for(d in c)u[d]===void 0&&(u[d]=c[d]);return y.vnode&&y.vnode(a),a}var X,C,Ce,Je,ge=0,In=[],U=y,Ke=U.__b,Ge=U.__r,Qe=U.diffed,Xe=U.__c,Ye=U.unmount,Ze=U.__;function ye(n,e){U.__h&&U.__h(C,n,ge||e),ge=0;var t=C.__H||(C.__H={__:[],__h:[]});return n>=t.__.length&&t.__.push({}),t.__[n]}function I(n){return ge=1,Bn(Fn,n)}function Bn(n,e,t){var s=ye(X++,2);if(s.t=n,!s.__c&&(s.__=[Fn(void 0,e),function(d){var u=s.__N?s.__N[0]:s.__[0],a=s.t(u,d);u!==a&&(s.__N=[a,s.__[1]],s.__c.setState({}))}],s.__c=C,!C.__f)){var r=function(d,u,a){if(!s.__c.__H)return!0;var _=!1,f=s.__c.props!==d;if(s.__c.__H.__.some(function(m){if(m.__N){_=!0;var F=m.__[0];m.__=m.__N,m.__N=void 0,F!==m.__[0]&&(f=!0)}}),i){var o=i.call(this,d,u,a);return _?o||f:o}return!_||f};C.__f=!0;var i=C.shouldComponentUpdate,c=C.componentWillUpdate;C.componentWillUpdate=function(d,u,a){if(this.__e){var _=i;i=void 0,r(d,u,a),i=_}c&&c.call(this,d,u,a)},C.shouldComponentUpdate=r}return s.__N||s.__}function re(n,e){var t=ye(X++,3);!U.__s&&Re(t.__H,e)&&(t.__=n,t.u=e,C.__H.__h.push(t))}function On(n,e){var t=ye(X++,4);!U.__s&&Re(t.__H,e)&&(t.__=n,t.u=e,C.__h.push(t))}function j(n){return ge=5,jn(function(){return{current:n}},[])}function jn(n,e){var t=ye(X++,7);return Re(t.__H,e)&&(t.__=n(),t.__H=e,t.__h=n),t.__}function Wn(){for(var n;n=In.shift();){var e=n.__H;if(n.__P&&e)try{e.__h.some(_e),e.__h.some(Ae),e.__h=[]}catch(t){e.__h=[],U.__e(t,n.__v)}}}U.__b=function(n){C=null,Ke&&Ke(n)},U.__=function(n,e){n&&e.__k&&e.__k.__m&&(n.__m=e.__k.__m),Ze&&Ze(n,e)},U.__r=function(n){Ge&&Ge(n),X=0;var e=(C=n.__c).__H;e&&(Ce===C?(e.__h=[],C.__h=[],e.__.some(function(t){t.__N&&(t.__=t.__N),t.u=t.__N=void 0})):(e.__h.some(_e),e.__h.some(Ae),e.__h=[],X=0)),Ce=C},U.diffed=function(n){Qe&&Qe(n);var e=n.__c;e&&e.__H&&(e.__H.__h.length&&(In.push(e)!==1&&Je===U.requestAnimationFrame||((Je=U.requestAnimationFrame)||Vn)(Wn)),e.__H.__.some(function(t){t.u&&(t.__H=t.u,t.u=void 0)})),Ce=C=null},U.__c=function(n,e){e.some(function(t){try{t.__h.some(_e),t.__h=t.__h.filter(function(s){return!s.__||Ae(s)})}catch(s){e.some(function(r){r.__h&&(r.__h=[])}),e=[],U.__e(s,t.__v)}}),Xe&&Xe(n,e)},U.unmount=function(n){Ye&&Ye(n);var e,t=n.__c;t&&t.__H&&(t.__H.__.some(function(s){try{_e(s)}catch(r){e=r}}),t.__H=void 0,e&&U.__e(e,t.__v))};var en=typeof requestAnimationFrame=="function";function Vn(n){var e,t=function(){clearTimeout(s),en&&cancelAnimationFrame(e),setTimeout(n)},s=setTimeout(t,35);en&&(e=requestAnimationFrame(t))}function _e(n){var e=C,t=n.__c;typeof t=="function"&&(n.__c=void 0,t()),C=e}function Ae(n){var e=C;n.__c=n.__(),C=e}function Re(n,e){return!n||n.length!==e.length||e.some(function(t,s){return t!==n[s]})}function Fn(n,e){return typeof e=="function"?e(n):e}class A extends String{constructor(t,s){super(t);ae(this,"__apiType");ae(this,"value");ae(this,"__meta__");this.value=t,this.__meta__=s}toString(){return this.value}}const zn=new A(`
    fragment UserFields on User {
  id
  username
  fullName
}
    `,{fragmentName:"UserFields"}),Jn=new A(`
    fragment MessageFields on Message {
  id
  conversationId
  content
  createdAt
  editedAt
  deleted
  sender {
    ...UserFields
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}`,{fragmentName:"MessageFields"}),Kn=new A(`
    fragment ConversationFields on Conversation {
  id
  name
  updatedAt
  unreadCount
  lastReadId
  lastMessage {
    ...MessageFields
  }
  participants {
    id
    role
    user {
      ...UserFields
    }
  }
  onlineParticipants {
    id
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}
fragment MessageFields on Message {
  id
  conversationId
  content
  createdAt
  editedAt
  deleted
  sender {
    ...UserFields
  }
}`,{fragmentName:"ConversationFields"}),Gn=new A(`
    fragment AuthFields on AuthPayload {
  user {
    ...UserFields
  }
  tokens {
    access
    refresh
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}`,{fragmentName:"AuthFields"}),Qn=new A(`
    mutation Signup($input: SignupInput!) {
  signup(input: $input) {
    ...AuthFields
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}
fragment AuthFields on AuthPayload {
  user {
    ...UserFields
  }
  tokens {
    access
    refresh
  }
}`),Xn=new A(`
    mutation Login($input: LoginInput!) {
  login(input: $input) {
    ...AuthFields
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}
fragment AuthFields on AuthPayload {
  user {
    ...UserFields
  }
  tokens {
    access
    refresh
  }
}`),Yn=new A(`
    mutation Refresh($refresh: String!) {
  refreshToken(refresh: $refresh) {
    ...AuthFields
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}
fragment AuthFields on AuthPayload {
  user {
    ...UserFields
  }
  tokens {
    access
    refresh
  }
}`),Zn=new A(`
    query Me {
  me {
    ...UserFields
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}`),et=new A(`
    query Conversations {
  conversations(limit: 100) {
    count
    results {
      ...ConversationFields
    }
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}
fragment MessageFields on Message {
  id
  conversationId
  content
  createdAt
  editedAt
  deleted
  sender {
    ...UserFields
  }
}
fragment ConversationFields on Conversation {
  id
  name
  updatedAt
  unreadCount
  lastReadId
  lastMessage {
    ...MessageFields
  }
  participants {
    id
    role
    user {
      ...UserFields
    }
  }
  onlineParticipants {
    id
  }
}`),nt=new A(`
    subscription Inbox {
  inbox {
    __typename
    ... on ConversationChanged {
      conversation {
        ...ConversationFields
      }
    }
    ... on AddedToConversation {
      conversation {
        ...ConversationFields
      }
    }
    ... on RemovedFromConversation {
      conversationId
    }
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}
fragment MessageFields on Message {
  id
  conversationId
  content
  createdAt
  editedAt
  deleted
  sender {
    ...UserFields
  }
}
fragment ConversationFields on Conversation {
  id
  name
  updatedAt
  unreadCount
  lastReadId
  lastMessage {
    ...MessageFields
  }
  participants {
    id
    role
    user {
      ...UserFields
    }
  }
  onlineParticipants {
    id
  }
}`),tt=new A(`
    query SearchUsers($search: String!) {
  users(search: $search, limit: 10) {
    ...UserFields
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}`),st=new A(`
    mutation CreateConversation($input: CreateConversationInput!) {
  createConversation(input: $input) {
    ...ConversationFields
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}
fragment MessageFields on Message {
  id
  conversationId
  content
  createdAt
  editedAt
  deleted
  sender {
    ...UserFields
  }
}
fragment ConversationFields on Conversation {
  id
  name
  updatedAt
  unreadCount
  lastReadId
  lastMessage {
    ...MessageFields
  }
  participants {
    id
    role
    user {
      ...UserFields
    }
  }
  onlineParticipants {
    id
  }
}`),rt=new A(`
    mutation AddParticipant($conversationId: ID!, $userId: ID!) {
  addParticipant(conversationId: $conversationId, userId: $userId) {
    ...ConversationFields
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}
fragment MessageFields on Message {
  id
  conversationId
  content
  createdAt
  editedAt
  deleted
  sender {
    ...UserFields
  }
}
fragment ConversationFields on Conversation {
  id
  name
  updatedAt
  unreadCount
  lastReadId
  lastMessage {
    ...MessageFields
  }
  participants {
    id
    role
    user {
      ...UserFields
    }
  }
  onlineParticipants {
    id
  }
}`),it=new A(`
    query History($conversationId: ID!, $before: StreamId) {
  messages(conversationId: $conversationId, before: $before, limit: 30) {
    hasMore
    messages {
      ...MessageFields
    }
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}
fragment MessageFields on Message {
  id
  conversationId
  content
  createdAt
  editedAt
  deleted
  sender {
    ...UserFields
  }
}`),ot=new A(`
    subscription Events($conversationId: ID!, $since: StreamId) {
  conversationEvents(conversationId: $conversationId, since: $since) {
    __typename
    ... on MessageAdded {
      id
      message {
        ...MessageFields
      }
    }
    ... on MessageEdited {
      id
      message {
        ...MessageFields
      }
    }
    ... on MessageDeleted {
      id
      message {
        ...MessageFields
      }
    }
    ... on ReadMarkerMoved {
      id
      upTo
      user {
        ...UserFields
      }
    }
    ... on ParticipantJoined {
      id
      user {
        ...UserFields
      }
    }
    ... on ParticipantLeft {
      id
      user {
        ...UserFields
      }
    }
    ... on TypingChanged {
      typing
      user {
        ...UserFields
      }
    }
    ... on PresenceChanged {
      online
      user {
        ...UserFields
      }
    }
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}
fragment MessageFields on Message {
  id
  conversationId
  content
  createdAt
  editedAt
  deleted
  sender {
    ...UserFields
  }
}`),at=new A(`
    mutation Send($conversationId: ID!, $content: String!) {
  sendMessage(conversationId: $conversationId, content: $content) {
    ...MessageFields
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}
fragment MessageFields on Message {
  id
  conversationId
  content
  createdAt
  editedAt
  deleted
  sender {
    ...UserFields
  }
}`),lt=new A(`
    mutation Edit($conversationId: ID!, $messageId: StreamId!, $content: String!) {
  editMessage(
    conversationId: $conversationId
    messageId: $messageId
    content: $content
  ) {
    ...MessageFields
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}
fragment MessageFields on Message {
  id
  conversationId
  content
  createdAt
  editedAt
  deleted
  sender {
    ...UserFields
  }
}`),dt=new A(`
    mutation Delete($conversationId: ID!, $messageId: StreamId!) {
  deleteMessage(conversationId: $conversationId, messageId: $messageId) {
    ...MessageFields
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}
fragment MessageFields on Message {
  id
  conversationId
  content
  createdAt
  editedAt
  deleted
  sender {
    ...UserFields
  }
}`),ct=new A(`
    mutation MarkRead($conversationId: ID!, $upTo: StreamId!) {
  markRead(conversationId: $conversationId, upTo: $upTo) {
    id
    unreadCount
    lastReadId
  }
}
    `),ut=new A(`
    query ConversationById($id: ID!) {
  conversation(id: $id) {
    ...ConversationFields
  }
}
    fragment UserFields on User {
  id
  username
  fullName
}
fragment MessageFields on Message {
  id
  conversationId
  content
  createdAt
  editedAt
  deleted
  sender {
    ...UserFields
  }
}
fragment ConversationFields on Conversation {
  id
  name
  updatedAt
  unreadCount
  lastReadId
  lastMessage {
    ...MessageFields
  }
  participants {
    id
    role
    user {
      ...UserFields
    }
  }
  onlineParticipants {
    id
  }
}`),_t=new A(`
    mutation SetTyping($conversationId: ID!, $typing: Boolean) {
  setTyping(conversationId: $conversationId, typing: $typing)
}
    `),pt={"\n  fragment UserFields on User { id username fullName }\n":zn,"\n  fragment MessageFields on Message {\n    id conversationId content createdAt editedAt deleted\n    sender { ...UserFields }\n  }\n":Jn,"\n  fragment ConversationFields on Conversation {\n    id name updatedAt unreadCount lastReadId\n    lastMessage { ...MessageFields }\n    participants { id role user { ...UserFields } }\n    onlineParticipants { id }\n  }\n":Kn,"\n  fragment AuthFields on AuthPayload { user { ...UserFields } tokens { access refresh } }\n":Gn,"\n  mutation Signup($input: SignupInput!) { signup(input: $input) { ...AuthFields } }\n":Qn,"\n  mutation Login($input: LoginInput!) { login(input: $input) { ...AuthFields } }\n":Xn,"\n  mutation Refresh($refresh: String!) { refreshToken(refresh: $refresh) { ...AuthFields } }\n":Yn,"\n  query Me { me { ...UserFields } }\n":Zn,"\n  query Conversations { conversations(limit: 100) { count results { ...ConversationFields } } }\n":et,"\n  subscription Inbox {\n    inbox {\n      __typename\n      ... on ConversationChanged { conversation { ...ConversationFields } }\n      ... on AddedToConversation { conversation { ...ConversationFields } }\n      ... on RemovedFromConversation { conversationId }\n    }\n  }\n":nt,"\n  query SearchUsers($search: String!) { users(search: $search, limit: 10) { ...UserFields } }\n":tt,"\n  mutation CreateConversation($input: CreateConversationInput!) {\n    createConversation(input: $input) { ...ConversationFields }\n  }\n":st,"\n  mutation AddParticipant($conversationId: ID!, $userId: ID!) {\n    addParticipant(conversationId: $conversationId, userId: $userId) { ...ConversationFields }\n  }\n":rt,"\n  query History($conversationId: ID!, $before: StreamId) {\n    messages(conversationId: $conversationId, before: $before, limit: 30) {\n      hasMore messages { ...MessageFields }\n    }\n  }\n":it,"\n  subscription Events($conversationId: ID!, $since: StreamId) {\n    conversationEvents(conversationId: $conversationId, since: $since) {\n      __typename\n      ... on MessageAdded { id message { ...MessageFields } }\n      ... on MessageEdited { id message { ...MessageFields } }\n      ... on MessageDeleted { id message { ...MessageFields } }\n      ... on ReadMarkerMoved { id upTo user { ...UserFields } }\n      ... on ParticipantJoined { id user { ...UserFields } }\n      ... on ParticipantLeft { id user { ...UserFields } }\n      ... on TypingChanged { typing user { ...UserFields } }\n      ... on PresenceChanged { online user { ...UserFields } }\n    }\n  }\n":ot,"\n  mutation Send($conversationId: ID!, $content: String!) {\n    sendMessage(conversationId: $conversationId, content: $content) { ...MessageFields }\n  }\n":at,"\n  mutation Edit($conversationId: ID!, $messageId: StreamId!, $content: String!) {\n    editMessage(conversationId: $conversationId, messageId: $messageId, content: $content) { ...MessageFields }\n  }\n":lt,"\n  mutation Delete($conversationId: ID!, $messageId: StreamId!) {\n    deleteMessage(conversationId: $conversationId, messageId: $messageId) { ...MessageFields }\n  }\n":dt,"\n  mutation MarkRead($conversationId: ID!, $upTo: StreamId!) {\n    markRead(conversationId: $conversationId, upTo: $upTo) { id unreadCount lastReadId }\n  }\n":ct,"\n  query ConversationById($id: ID!) { conversation(id: $id) { ...ConversationFields } }\n":ut,"\n  mutation SetTyping($conversationId: ID!, $typing: Boolean) {\n    setTyping(conversationId: $conversationId, typing: $typing)\n  }\n":_t};function k(n){return pt[n]??{}}k(`
  fragment UserFields on User { id username fullName }
`);k(`
  fragment MessageFields on Message {
    id conversationId content createdAt editedAt deleted
    sender { ...UserFields }
  }
`);k(`
  fragment ConversationFields on Conversation {
    id name updatedAt unreadCount lastReadId
    lastMessage { ...MessageFields }
    participants { id role user { ...UserFields } }
    onlineParticipants { id }
  }
`);k(`
  fragment AuthFields on AuthPayload { user { ...UserFields } tokens { access refresh } }
`);const mt=k(`
  mutation Signup($input: SignupInput!) { signup(input: $input) { ...AuthFields } }
`),ft=k(`
  mutation Login($input: LoginInput!) { login(input: $input) { ...AuthFields } }
`),gt=k(`
  mutation Refresh($refresh: String!) { refreshToken(refresh: $refresh) { ...AuthFields } }
`),ht=k(`
  query Me { me { ...UserFields } }
`),vt=k(`
  query Conversations { conversations(limit: 100) { count results { ...ConversationFields } } }
`),yt=k(`
  subscription Inbox {
    inbox {
      __typename
      ... on ConversationChanged { conversation { ...ConversationFields } }
      ... on AddedToConversation { conversation { ...ConversationFields } }
      ... on RemovedFromConversation { conversationId }
    }
  }
`),It=k(`
  query SearchUsers($search: String!) { users(search: $search, limit: 10) { ...UserFields } }
`),Ft=k(`
  mutation CreateConversation($input: CreateConversationInput!) {
    createConversation(input: $input) { ...ConversationFields }
  }
`),$t=k(`
  mutation AddParticipant($conversationId: ID!, $userId: ID!) {
    addParticipant(conversationId: $conversationId, userId: $userId) { ...ConversationFields }
  }
`),nn=k(`
  query History($conversationId: ID!, $before: StreamId) {
    messages(conversationId: $conversationId, before: $before, limit: 30) {
      hasMore messages { ...MessageFields }
    }
  }
`),bt=k(`
  subscription Events($conversationId: ID!, $since: StreamId) {
    conversationEvents(conversationId: $conversationId, since: $since) {
      __typename
      ... on MessageAdded { id message { ...MessageFields } }
      ... on MessageEdited { id message { ...MessageFields } }
      ... on MessageDeleted { id message { ...MessageFields } }
      ... on ReadMarkerMoved { id upTo user { ...UserFields } }
      ... on ParticipantJoined { id user { ...UserFields } }
      ... on ParticipantLeft { id user { ...UserFields } }
      ... on TypingChanged { typing user { ...UserFields } }
      ... on PresenceChanged { online user { ...UserFields } }
    }
  }
`),Ct=k(`
  mutation Send($conversationId: ID!, $content: String!) {
    sendMessage(conversationId: $conversationId, content: $content) { ...MessageFields }
  }
`),Mt=k(`
  mutation Edit($conversationId: ID!, $messageId: StreamId!, $content: String!) {
    editMessage(conversationId: $conversationId, messageId: $messageId, content: $content) { ...MessageFields }
  }
`),wt=k(`
  mutation Delete($conversationId: ID!, $messageId: StreamId!) {
    deleteMessage(conversationId: $conversationId, messageId: $messageId) { ...MessageFields }
  }
`),Ut=k(`
  mutation MarkRead($conversationId: ID!, $upTo: StreamId!) {
    markRead(conversationId: $conversationId, upTo: $upTo) { id unreadCount lastReadId }
  }
`),tn=k(`
  query ConversationById($id: ID!) { conversation(id: $id) { ...ConversationFields } }
`),At=k(`
  mutation SetTyping($conversationId: ID!, $typing: Boolean) {
    setTyping(conversationId: $conversationId, typing: $typing)
  }
`);class D extends Error{constructor(e,t,s){super(e),this.code=t,this.retryAfter=s}}const q={online:!0,listeners:new Set,set(n){if(this.online!==n){this.online=n;for(const e of this.listeners)e()}}};let T=Sn(),Me=null,ke,$n=()=>{},V=null;function sn(){return T!==null}function kt(n){$n=n}function bn(n){try{const e=n.split(".")[1]??"",t=JSON.parse(atob(e.replace(/-/g,"+").replace(/_/g,"/")));return typeof t.exp=="number"?t.exp-Date.now()/1e3:0}catch{return 0}}function Cn(n){T=n,ln(n),Ee()}function Se(){T=null,ln(null),clearTimeout(ke),V==null||V.dispose(),V=null,$n()}function Ee(){if(clearTimeout(ke),!T)return;const n=Math.max(1,bn(T.access)-30)*1e3;ke=setTimeout(()=>void Le(),Math.min(n,2**31-1))}function Le(){const n=T;return n?(Me??(Me=Te(gt,{refresh:n.refresh},null).then(e=>(Cn(e.refreshToken.tokens),T)).catch(e=>(e instanceof D&&e.code!=="UNAVAILABLE"?Se():Ee(),null)).finally(()=>{Me=null})),Me):Promise.resolve(null)}async function Te(n,e,t){var c,d,u;const s=await fetch("/graphql",{method:"POST",headers:{"Content-Type":"application/json",Accept:"application/graphql-response+json, application/json",...t?{Authorization:`Bearer ${t}`}:{}},body:JSON.stringify({query:n.toString(),variables:e})}),r=await s.json().catch(()=>null),i=(c=r==null?void 0:r.errors)==null?void 0:c[0];if(i){const a=(d=i.extensions)==null?void 0:d.retryAfter;throw new D(i.message,((u=i.extensions)==null?void 0:u.code)??"ERROR",a??null)}if(!s.ok||!(r!=null&&r.data))throw new D(`The server answered ${s.status}`,"UNAVAILABLE",null);return r.data}async function S(n,e){try{return await Te(n,e,(T==null?void 0:T.access)??null)}catch(t){if(t instanceof D&&t.code==="UNAUTHENTICATED"&&T){const s=await Le();if(s)return Te(n,e,s.access)}throw t}}function St(){if(V)return V;const n=`${location.protocol==="https:"?"wss":"ws"}://${location.host}/graphql/ws`;let e=!1;return V=Tn({url:n,connectionParams:async()=>(T&&bn(T.access)<5&&await Le(),T?{Authorization:`Bearer ${T.access}`}:{}),retryAttempts:1/0,shouldRetry:()=>!0,retryWait:async t=>{await new Promise(s=>setTimeout(s,Math.min(1e3*2**t,1e4)))},on:{connected:()=>{e=!0,q.set(!0)},closed:()=>{e&&q.set(!1)}}}),V}function Mn(n,e,t,s){return St().subscribe({query:n.toString(),variables:e},{next:r=>{var c,d;const i=(c=r.errors)==null?void 0:c[0];i?s(new D(i.message,((d=i.extensions)==null?void 0:d.code)??"ERROR",null)):r.data&&t(r.data)},error:()=>s(new D("The live connection failed","UNAVAILABLE",null)),complete:()=>{}})}function Tt(n){let e=!1;const t=()=>{q.online?e&&(e=!1,n()):e=!0};return q.listeners.add(t),()=>q.listeners.delete(t)}T&&Ee();function Dt({onSignedIn:n}){const[e,t]=I("login"),[s,r]=I(null),[i,c]=I(!1);async function d(u){u.preventDefault();const a=new FormData(u.currentTarget),_=f=>String(a.get(f)??"");c(!0),r(null);try{const f=e==="login"?(await S(ft,{input:{email:_("email"),password:_("password")}})).login:(await S(mt,{input:{email:_("email"),username:_("username"),firstName:_("firstName"),lastName:_("lastName"),password:_("password"),passwordConfirm:_("password")}})).signup;Cn(f.tokens),n(f.user)}catch(f){r(f instanceof D?f.message:"Something went wrong")}finally{c(!1)}}return l("main",{class:"auth",children:[l("h1",{children:"chatstream"}),l("form",{onSubmit:d,"aria-labelledby":"auth-title",children:[l("h2",{id:"auth-title",children:e==="login"?"Log in":"Sign up"}),l("label",{children:["Email",l("input",{name:"email",type:"email",autocomplete:"email",required:!0})]}),e==="signup"&&l(ie,{children:[l("label",{children:["Username",l("input",{name:"username",autocomplete:"username",required:!0})]}),l("label",{children:["First name",l("input",{name:"firstName",autocomplete:"given-name",required:!0})]}),l("label",{children:["Last name",l("input",{name:"lastName",autocomplete:"family-name",required:!0})]})]}),l("label",{children:["Password",l("input",{name:"password",type:"password",autocomplete:e==="login"?"current-password":"new-password",required:!0})]}),s&&l("p",{class:"error",role:"alert",children:s}),l("button",{type:"submit",disabled:i,children:e==="login"?"Log in":"Sign up"})]}),l("p",{children:[e==="login"?"No account yet? ":"Have an account? ",l("button",{type:"button",class:"link",onClick:()=>t(e==="login"?"signup":"login"),children:e==="login"?"Sign up":"Log in"})]})]})}function se(n,e){const[t=0,s=0]=n.split("-").map(Number),[r=0,i=0]=e.split("-").map(Number);return t!==r?t-r:s-i}function Pt(n,e){return n===null||se(e,n)>0?e:n}function wn({label:n,exclude:e,onPick:t}){const[s,r]=I(""),[i,c]=I([]);re(()=>{const u=s.trim();if(!u){c([]);return}let a=!0;const _=setTimeout(()=>{S(It,{search:u}).then(f=>a&&c(f.users)).catch(()=>a&&c([]))},200);return()=>{a=!1,clearTimeout(_)}},[s]);const d=i.filter(u=>!e.includes(u.id));return l("div",{class:"people",children:[l("label",{children:[n,l("input",{type:"search",value:s,placeholder:"Username or email",onInput:u=>r(u.currentTarget.value)})]}),d.length>0&&l("ul",{"aria-label":"People found",children:d.map(u=>l("li",{children:l("button",{type:"button",onClick:()=>t(u),children:["Add ",u.username," ",l("span",{class:"muted",children:["(",u.fullName,")"]})]})},u.id))})]})}function Nt(n){return[...n.values()].sort((e,t)=>se(e.id,t.id))}function xt({me:n,conversationId:e,onClose:t}){var Be;const[s,r]=I(null),[i,c]=I(new Map),[d,u]=I([]),[a,_]=I(!1),[f,o]=I(null),[m,F]=I(new Map),[P,M]=I(null),[$,v]=I(!1),[N,z]=I(new Map),[L,B]=I(new Set),Y=j(new Map),R=j(null),O=j(null),x=j(null),E=j(!0),Z=j(null),Un=j(0),J=p=>c(g=>{const h=new Map(g);for(const w of p)h.set(w.id,w);return h});re(()=>{let p=()=>{},g=!0;return(async()=>{var Q,Oe;const[h,w]=await Promise.all([S(tn,{id:e}),S(nn,{conversationId:e,before:null})]);if(!g)return;r(h.conversation??null),O.current=((Q=h.conversation)==null?void 0:Q.lastReadId)??null,B(new Set(((Oe=h.conversation)==null?void 0:Oe.onlineParticipants.map(b=>b.id))??[])),J(w.messages.messages),_(w.messages.hasMore);const K=w.messages.messages.at(-1);R.current=(K==null?void 0:K.id)??"0-0",p=Mn(bt,{conversationId:e,get since(){return R.current}},({conversationEvents:b})=>{if(b.__typename==="TypingChanged"){Ie(b.user,b.typing);return}if(b.__typename==="PresenceChanged"){B(ne=>{const $e=new Set(ne);return b.online?$e.add(b.user.id):$e.delete(b.user.id),$e});return}if(!(!("id"in b)||!b.id)&&!(R.current&&se(b.id,R.current)<=0))switch(R.current=Pt(R.current,b.id),b.__typename){case"MessageAdded":Ie(b.message.sender,!1),J([b.message]);break;case"MessageEdited":case"MessageDeleted":J([b.message]);break;case"ReadMarkerMoved":F(ne=>new Map(ne).set(b.user.id,{user:b.user,upTo:b.upTo}));break;case"ParticipantJoined":case"ParticipantLeft":S(tn,{id:e}).then(ne=>r(ne.conversation??null));break}},b=>o(b.message))})().catch(h=>o(h instanceof D?h.message:"Could not open the conversation")),()=>{g=!1,p()}},[e]);function Ie(p,g){p.id!==n.id&&(clearTimeout(Y.current.get(p.id)),z(h=>{const w=new Map(h);return g?w.set(p.id,p):w.delete(p.id),w}),g&&Y.current.set(p.id,setTimeout(()=>Ie(p,!1),8e3)))}const oe=Nt(i),ee=((Be=oe.at(-1))==null?void 0:Be.id)??null;re(()=>{const p=()=>{!ee||document.visibilityState!=="visible"||O.current&&se(ee,O.current)<=0||(O.current=ee,S(Ut,{conversationId:e,upTo:ee}).catch(()=>{}))};return p(),document.addEventListener("visibilitychange",p),()=>document.removeEventListener("visibilitychange",p)},[ee,e]),On(()=>{const p=x.current;p&&(Z.current!==null?(p.scrollTop=p.scrollHeight-Z.current,Z.current=null):E.current&&(p.scrollTop=p.scrollHeight))},[i,d]);async function He(){var w;const p=(w=oe[0])==null?void 0:w.id;if(!p||!a)return;const g=x.current;Z.current=g?g.scrollHeight-g.scrollTop:null;const h=await S(nn,{conversationId:e,before:p});_(h.messages.hasMore),J(h.messages.messages)}async function qe(p,g=Un.current++){u(h=>[...h.filter(w=>w.key!==g),{key:g,content:p,error:null}]),E.current=!0;try{const h=await S(Ct,{conversationId:e,content:p});J([h.sendMessage]),u(w=>w.filter(K=>K.key!==g))}catch(h){const w=h instanceof D&&h.code==="THROTTLED"?`Too many messages: wait ${h.retryAfter??1} s, then retry.`:h instanceof D?h.message:"Not sent.";u(K=>K.map(Q=>Q.key===g?{...Q,error:w}:Q))}}const Fe=new Map;for(const{user:p,upTo:g}of m.values()){if(p.id===n.id)continue;const h=oe.findLast(w=>se(w.id,g)<=0);h&&Fe.set(h.id,[...Fe.get(h.id)??[],p.username])}return l("main",{class:"conversation-view","aria-labelledby":"conversation-title",children:[l("div",{class:"conversation-head",children:[l("button",{type:"button",class:"back",onClick:t,children:"Back"}),l("h2",{id:"conversation-title",children:(s==null?void 0:s.name)??"…"}),l("span",{class:"muted",children:s==null?void 0:s.participants.map(p=>L.has(p.user.id)?`${p.user.username} (online)`:p.user.username).join(", ")}),l("button",{type:"button","aria-expanded":$,onClick:()=>v(!$),children:"Add people"})]}),$&&s&&l(wn,{label:"Add someone",exclude:s.participants.map(p=>p.user.id),onPick:p=>void S($t,{conversationId:e,userId:p.id}).then(g=>r(g.addParticipant)).catch(g=>o(g instanceof D?g.message:"Could not add"))}),f&&l("p",{class:"error",role:"alert",children:f}),l("div",{class:"messages",ref:x,role:"log","aria-label":"Messages",tabIndex:0,onScroll:p=>{const g=p.currentTarget;E.current=g.scrollHeight-g.scrollTop-g.clientHeight<40,g.scrollTop<40&&a&&Z.current===null&&He()},children:l("ol",{children:[a&&l("li",{class:"older",children:l("button",{type:"button",onClick:()=>void He(),children:"Load older messages"})}),oe.map(p=>l(Rt,{message:p,mine:p.sender.id===n.id,editing:P===p.id,seenBy:Fe.get(p.id)??[],onEdit:()=>M(p.id),onCancel:()=>M(null),onSave:g=>void S(Mt,{conversationId:e,messageId:p.id,content:g}).then(h=>{J([h.editMessage]),M(null)}).catch(h=>o(h instanceof D?h.message:"Not edited")),onDelete:()=>void S(wt,{conversationId:e,messageId:p.id}).then(g=>J([g.deleteMessage])).catch(g=>o(g instanceof D?g.message:"Not deleted"))},p.id)),d.map(p=>l("li",{class:"message mine pending",children:[l("span",{class:"content",children:p.content}),p.error?l("span",{class:"send-error",role:"alert",children:[p.error," ",l("button",{type:"button",onClick:()=>void qe(p.content,p.key),children:"Retry"})]}):l("span",{class:"muted",children:" Sending…"})]},`pending-${p.key}`))]})}),l("p",{class:"typing muted","aria-live":"polite",children:N.size>0&&`${[...N.values()].map(p=>p.username).join(", ")} ${N.size===1?"is":"are"} typing…`}),l(Et,{onSend:p=>void qe(p),onTyping:p=>void S(At,{conversationId:e,typing:p}).catch(()=>{})})]})}function Rt({message:n,mine:e,editing:t,seenBy:s,onEdit:r,onCancel:i,onSave:c,onDelete:d}){const u=new Date(n.createdAt).toLocaleTimeString([],{hour:"2-digit",minute:"2-digit"});return l("li",{class:e?"message mine":"message","data-id":n.id,children:[l("span",{class:"meta",children:[l("strong",{children:n.sender.username})," ",l("time",{dateTime:n.createdAt,children:u}),n.editedAt&&!n.deleted&&l("span",{class:"muted",children:" (edited)"})]}),t?l("form",{class:"edit",onSubmit:a=>{a.preventDefault();const _=a.currentTarget.elements.namedItem("content");c(_.value)},children:[l("input",{name:"content","aria-label":"Edit message",defaultValue:n.content,ref:a=>a==null?void 0:a.focus(),onKeyDown:a=>a.key==="Escape"&&i()}),l("button",{type:"submit",children:"Save"}),l("button",{type:"button",onClick:i,children:"Cancel"})]}):n.deleted?l("span",{class:"content deleted",children:"Message deleted"}):l("span",{class:"content",children:n.content}),e&&!n.deleted&&!t&&l("span",{class:"actions",children:[l("button",{type:"button",onClick:r,"aria-label":`Edit: ${n.content}`,children:"Edit"}),l("button",{type:"button",onClick:d,"aria-label":`Delete: ${n.content}`,children:"Delete"})]}),s.length>0&&l("span",{class:"seen muted",children:["Seen by ",s.join(", ")]})]})}function Et({onSend:n,onTyping:e}){const[t,s]=I(""),r=j(0),i=c=>{s(c);const d=Date.now();c.trim()&&d-r.current>3e3?(r.current=d,e(!0)):!c.trim()&&r.current&&(r.current=0,e(!1))};return l("form",{class:"composer",onSubmit:c=>{c.preventDefault(),t.trim()&&(n(t),s(""),r.current=0)},children:[l("label",{class:"visually-hidden",for:"composer-input",children:"Message"}),l("input",{id:"composer-input",value:t,autocomplete:"off",placeholder:"Write a message",maxLength:2e3,onInput:c=>i(c.currentTarget.value)}),l("button",{type:"submit",children:"Send"})]})}function rn(n){var e;return((e=n.lastMessage)==null?void 0:e.createdAt)??n.updatedAt}function on(n,e){return[e,...n.filter(s=>s.id!==e.id)].sort((s,r)=>Date.parse(rn(r))-Date.parse(rn(s)))}function Lt({me:n,openId:e,onOpen:t}){const[s,r]=I(null),[i,c]=I(!1);return re(()=>{const d=()=>S(vt,{}).then(_=>{r(_.conversations.results),performance.mark("conversation-list-rendered")}),u=Mn(yt,{},({inbox:_})=>{_.__typename==="RemovedFromConversation"?r(f=>(f??[]).filter(o=>o.id!==_.conversationId)):_.__typename&&r(f=>on(f??[],_.conversation))},()=>{});d().catch(()=>r([]));const a=Tt(()=>void d().catch(()=>{}));return()=>{u(),a()}},[]),l("nav",{class:"inbox","aria-label":"Conversations",children:[l("div",{class:"inbox-head",children:[l("h2",{children:"Conversations"}),l("button",{type:"button","aria-expanded":i,onClick:()=>c(!i),children:"New conversation"})]}),i&&l(Ht,{me:n,onCreated:d=>{r(u=>on(u??[],d)),c(!1),t(d.id)}}),s===null?l("p",{class:"muted",children:"Loading…"}):s.length===0?l("p",{class:"muted",children:"No conversations yet."}):l("ul",{class:"conversations",children:s.map(d=>l("li",{children:l("button",{type:"button",class:d.id===e?"conversation current":"conversation","aria-current":d.id===e?"true":void 0,onClick:()=>t(d.id),children:[l("span",{class:"name",children:d.name}),d.unreadCount>0&&l("span",{class:"badge","aria-label":`${d.unreadCount} unread`,children:d.unreadCount}),l("span",{class:"last",children:d.lastMessage?d.lastMessage.deleted?"Message deleted":`${d.lastMessage.sender.username}: ${d.lastMessage.content}`:"No messages yet"})]})},d.id))})]})}function Ht({me:n,onCreated:e}){const[t,s]=I(""),[r,i]=I([]),[c,d]=I(null);async function u(a){a.preventDefault(),d(null);try{const _=await S(Ft,{input:{name:t,participantIds:r.map(f=>f.id)}});e(_.createConversation)}catch(_){d(_ instanceof D?_.message:"Could not create it")}}return l("form",{class:"new-conversation",onSubmit:u,children:[l("label",{children:["Name",l("input",{value:t,required:!0,onInput:a=>s(a.currentTarget.value)})]}),l(wn,{label:"Find people",exclude:[n.id,...r.map(a=>a.id)],onPick:a=>i([...r,a])}),r.length>0&&l("ul",{class:"chips","aria-label":"People to add",children:r.map(a=>l("li",{children:[a.username," ",l("button",{type:"button","aria-label":`Remove ${a.username}`,onClick:()=>i(r.filter(_=>_.id!==a.id)),children:"×"})]},a.id))}),c&&l("p",{class:"error",role:"alert",children:c}),l("button",{type:"submit",children:"Create"})]})}function qt(){const[n,e]=I(null),[t,s]=I(sn()),[r,i]=I(null),[c,d]=I(q.online),[u,a]=I(!1);return re(()=>{kt(()=>{e(null),i(null)});const _=()=>d(q.online);return q.listeners.add(_),sn()&&S(ht,{}).then(f=>e(f.me)).catch(f=>{f instanceof D&&f.code==="UNAUTHENTICATED"?Se():a(!0)}).finally(()=>s(!1)),()=>q.listeners.delete(_)},[]),t?l("p",{class:"loading",children:"Loading…"}):u?l("main",{class:"auth",children:[l("p",{role:"alert",children:"The server cannot be reached."}),l("button",{type:"button",onClick:()=>location.reload(),children:"Try again"})]}):n?l("div",{class:r?"shell has-open":"shell",children:[l("header",{class:"top",children:[l("h1",{children:"chatstream"}),l("span",{class:"who",children:["Signed in as ",l("strong",{children:n.username})]}),l("nav",{"aria-label":"Tools",children:[l("a",{href:"/graphql",target:"_blank",rel:"noopener",children:"GraphiQL"}),l("a",{href:"/api/v1/docs",target:"_blank",rel:"noopener",children:"API docs"})]}),l("button",{type:"button",onClick:()=>Se(),children:"Log out"})]}),!c&&l("div",{class:"banner",role:"status",children:"Connection lost: reconnecting…"}),l(Lt,{me:n,openId:r,onOpen:i}),r?l(xt,{me:n,conversationId:r,onClose:()=>i(null)},r):l("main",{class:"empty",children:l("p",{children:"Pick a conversation, or start one."})})]}):l(Dt,{onSignedIn:e})}const an=document.getElementById("app");an&&Hn(l(qt,{}),an);
