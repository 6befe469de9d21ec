// NationalityTables.swift
// Freshet — per-nationality data tables for the offline Random User API v1.4 generator.
// These lists (first names, surnames, street names, towns and regions) were written for
// Freshet from general knowledge of each country's common names and places; they are not
// copied from randomuser.me or any other data set.
// Each list is a single "|"-separated string literal split at first use, which keeps
// optimised builds fast compared with large array literals of strings.

/// Raw data for one nationality of Random User API v1.4, written for Freshet from general
/// knowledge of each country's common names and places.
struct NationalityTable: Sendable {
    let code: String
    let country: String
    let maleFirst: [String]
    let femaleFirst: [String]
    let last: [String]
    let streets: [String]  // street NAMES only (the house number is generated)
    let cities: [String]
    let states: [String]

    init(code: String, country: String, maleFirst: String, femaleFirst: String, last: String, streets: String, cities: String, states: String) {
        self.code = code
        self.country = country
        self.maleFirst = Self.list(maleFirst)
        self.femaleFirst = Self.list(femaleFirst)
        self.last = Self.list(last)
        self.streets = Self.list(streets)
        self.cities = Self.list(cities)
        self.states = Self.list(states)
    }

    private static func list(_ joined: String) -> [String] {
        joined.split(separator: "|").map(String.init)
    }
}

enum NationalityTables {
    static let all: [NationalityTable] = [au, br, ca, ch, de, dk, es, fi, fr, gb, ie, `in`, ir, mx, nl, no, nz, rs, tr, ua, us]

    static let au = NationalityTable(
        code: "AU",
        country: "Australia",
        maleFirst:
            "Leon|Charles|Clifton|Jack|Oliver|William|Noah|Thomas|James|Lucas|Henry|Ethan|Samuel|Lachlan|Cooper|Riley|Mason|Harrison|Max|Liam|Jacob|Joshua|Ryan|Nathan|Dylan|Bradley|Vincent|Gary|Wayne|Darren|Shane|Craig|Brett|Glenn|Troy|Dean|Bruce|Keith|Russell|Ross|Alan|Dale|Jeffrey|Terry|Lewis|Harvey|Marcus|Jesse|Seth|Herbert|Stanley|Frederick|Arthur|Eugene",
        femaleFirst:
            "Aubree|Kenzi|Charlotte|Olivia|Amelia|Isla|Mia|Ava|Grace|Chloe|Zoe|Ruby|Matilda|Sophie|Emily|Harper|Ella|Willow|Evie|Lily|Jessica|Sarah|Megan|Kylie|Tracy|Michelle|Melissa|Brooke|Hannah|Alexis|Madison|Jennie|Bonnie|Carol|Beverley|Joan|Gail|Marian|Naomi|Rosemary|Ellie|Tanya|Kristin|Leah|Vanessa|Joyce",
        last:
            "Nichols|Anderson|Fowler|Hoffman|Cook|Smith|Jones|Williams|Brown|Wilson|Taylor|Johnson|White|Martin|Thompson|Thomas|Walker|Harris|Lee|Ryan|Robinson|Kelly|King|Davis|Wright|Evans|Roberts|Green|Hall|Wood|Jackson|Clarke|Hughes|Edwards|Campbell|Murphy|Mitchell|Bennett|Morris|Stewart|Baker|Harvey|Cooper|Watson|Mcdonald|Price|Gordon|Palmer|Russell|Hunt|Wells|Gilbert|Stone|Hart|Simmons|Porter|Lawson|Reid|Elliott|Hamilton|Burke|Byrne|Fraser|Dunn|Henderson|Myers|Carpenter|Barnes|Sanders|Hayes",
        streets:
            "E Sandy Lake Rd|Bollinger Rd|Photinia Ave|College St|Taylor St|Depaul Dr|Parker Rd|Hogan St|Country Club Rd|W Pecan St|Mcclellan Rd|Lakeview St|Valwood Pkwy|Pockrus Page Rd|Wheeler Ridge Dr|Brown Terrace|Hickory Creek Dr|Dogwood Ave|Adams St|Saddle Dr|Westheimer Rd|Prospect Rd|Ash Dr|Elgin St|Groveland Terrace|Rolling Green Rd|Fincher Rd|Hamilton Ave|Spring St|Robinson Rd|Nowlin Rd|Mockingbird Ln|Cherry St|Oak Lawn Ave",
        cities:
            "Bendigo|Maitland|Kalgoorlie|Orange|Brisbane|Sydney|Melbourne|Perth|Adelaide|Hobart|Darwin|Canberra|Geelong|Ballarat|Townsville|Cairns|Toowoomba|Wollongong|Newcastle|Launceston|Mackay|Rockhampton|Bunbury|Bundaberg|Wagga Wagga|Mildura|Shepparton|Gladstone|Tamworth|Dubbo|Albury|Hervey Bay|Port Macquarie|Coffs Harbour|Geraldton|Warrnambool|Devonport|Busselton|Lismore|Bathurst|Gosford|Wodonga|Gold Coast|Sunshine Coast|Mount Gambier|Alice Springs|Queanbeyan|Armidale|Broken Hill|Nowra",
        states: "New South Wales|Victoria|Queensland|Western Australia|South Australia|Tasmania|Australian Capital Territory|Northern Territory"
    )

    static let br = NationalityTable(
        code: "BR",
        country: "Brazil",
        maleFirst:
            "Adolfo|Gilberto|Aramis|João|Pedro|Lucas|Gabriel|Rafael|Mateus|Gustavo|Felipe|Bruno|Thiago|Diego|Leonardo|Rodrigo|Marcelo|Fernando|Eduardo|Ricardo|André|Carlos|Paulo|José|Antônio|Francisco|Luiz|Sérgio|Márcio|Wagner|Cléber|Jurandir|Ivo|Otávio|Valdir|Anselmo|Caetano|Teodoro|Raimundo|Benedito|Hélio|Ubiratã|Olavo|Vicente|Edson|Nilton|Cauê|Iago|Heitor|Arthur",
        femaleFirst:
            "Cátia|Rica|Elenice|Ana|Maria|Juliana|Fernanda|Patrícia|Aline|Camila|Bruna|Amanda|Letícia|Larissa|Beatriz|Gabriela|Mariana|Isabela|Raquel|Vanessa|Luana|Luciana|Sandra|Simone|Adriana|Denise|Rosângela|Marlene|Jussara|Iracema|Vitória|Yasmin|Sara|Lívia|Lorena|Clarice|Glória|Silvana|Débora|Tatiane|Cecília|Heloísa|Iolanda|Zilda|Noêmia|Edite",
        last:
            "Lima|Dias|Rodrigues|Pires|Cavalcanti|Santos|Silva|Souza|Oliveira|Pereira|Costa|Ferreira|Almeida|Carvalho|Gomes|Martins|Araújo|Ribeiro|Barbosa|Rocha|Alves|Nascimento|Moura|Freitas|Teixeira|Mendes|Nunes|Moreira|Cardoso|Correia|Campos|Vieira|Monteiro|Barros|Fernandes|Castro|Azevedo|Pinto|Ramos|Melo|Farias|Machado|Duarte|Lopes|Nogueira|Peixoto|Rezende|Fonseca|Aragão|Cunha|Porto|Caldeira|Batista|Sales|Viana|Brito|Moraes|Jesus|Borges|Siqueira|Fogaça|Novaes|da Cruz|da Mota|da Conceição|Mendonça",
        streets:
            "Rua São Paulo|Travessa dos Martírios|Rua Dezessete|Rua Tiradentes|Rua Dois|Rua Rui Barbosa|Rua Um|Rua Três|Rua Quatro|Rua Cinco|Rua Sete de Setembro|Rua Quinze de Novembro|Rua Santa Luzia|Rua Santos Dumont|Rua Castro Alves|Rua Duque de Caxias|Rua da Paz|Rua Bela Vista|Rua Mato Grosso|Rua Paraná|Rua Pará|Rua Minas Gerais|Rua Bahia|Rua Amazonas|Rua Belo Horizonte|Rua Espírito Santo|Rua Maranhão|Rua Sergipe|Rua da Saudade|Rua Primeiro de Maio|Rua Dom Pedro II|Rua Treze de Maio|Rua Boa Vista|Avenida Brasil|Rua São Jorge|Rua das Flores|Travessa São Sebastião|Rua Doze|Rua Nove|Rua Onze",
        cities:
            "Paulo Afonso|Diadema|Igarassu|Cametá|Barreiras|Crato|São Paulo|Rio de Janeiro|Salvador|Fortaleza|Belo Horizonte|Manaus|Curitiba|Recife|Porto Alegre|Belém|Goiânia|Guarulhos|Campinas|São Luís|Maceió|Natal|Teresina|Campo Grande|João Pessoa|Osasco|Santo André|Contagem|Uberlândia|Sorocaba|Aracaju|Feira de Santana|Cuiabá|Joinville|Londrina|Juiz de Fora|Niterói|Ananindeua|Serra|Caxias do Sul|Macapá|Florianópolis|Vila Velha|Mossoró|Petrolina|Blumenau|Itabuna|Juazeiro do Norte|Sobral|Marabá|Santarém|Parnaíba|Cabo Frio|Volta Redonda",
        states:
            "Acre|Alagoas|Amapá|Amazonas|Bahia|Ceará|Distrito Federal|Espírito Santo|Goiás|Maranhão|Mato Grosso|Mato Grosso do Sul|Minas Gerais|Pará|Paraíba|Paraná|Pernambuco|Piauí|Rio de Janeiro|Rio Grande do Norte|Rio Grande do Sul|Rondônia|Roraima|Santa Catarina|São Paulo|Sergipe|Tocantins"
    )

    static let ca = NationalityTable(
        code: "CA",
        country: "Canada",
        maleFirst:
            "Daniel|Liam|Noah|William|Benjamin|Lucas|Logan|Jacob|Nathan|Ethan|Samuel|Olivier|Félix|Zachary|Thomas|Alexandre|Gabriel|Xavier|Justin|Tristan|Mathis|Jayden|Owen|Hunter|Caleb|Dylan|Connor|Charles|Émile|Antoine|Louis|Hudson|Jake|Isaac|Elijah|Carter|Nicolas|Victor|Edward|Mason|Jeremy|Maxime|Arnaud|Raphaël",
        femaleFirst:
            "Clara|Charlotte|Emma|Olivia|Sophie|Chloé|Léa|Florence|Alice|Rosalie|Juliette|Maëlle|Zoé|Camille|Mégane|Laurie|Ava|Amelia|Abigail|Emily|Madison|Hannah|Sarah|Jade|Mia|Lily|Ella|Addison|Avery|Brooklyn|Maya|Nora|Elizabeth|Victoria|Audrey|Noémie|Maélie|Béatrice|Gabrielle|Anaïs|Ariane|Evelyn",
        last:
            "Wilson|Johnson|Scott|Tremblay|Gagnon|Roy|Côté|Bouchard|Gauthier|Morin|Lavoie|Fortin|Gagné|Ouellet|Pelletier|Bélanger|Lévesque|Bergeron|Leblanc|Paquette|Girard|Simard|Boucher|Caron|Beaulieu|Cloutier|Dubé|Poirier|Fournier|Lapointe|Smith|Brown|Martin|Campbell|Anderson|Macdonald|Taylor|Thompson|White|Lee|Clark|Walker|Young|Robinson|Mitchell|Kelly|Moore|King|Stewart|Murray|Ross|Grant|Fraser|Hall|Chen|Singh|Li|Wong|Harris|Miller|Jones|Davis|Lam|Park|Bennett|Chan|Patel",
        streets:
            "Dufferin St|Concession Road 23|Cedar St|King St|Queen St|Yonge St|Bay St|Main St|Maple Ave|Pine Rd|Oak St|Victoria Ave|Park Rd|Church St|Duke St|George St|Brock Rd|Parliament St|Lakeshore Rd|Richmond Ave|Lake of Bays Road|Dundas Rd|Elgin St|Bloor St|Regent Ave|Simcoe St|Grand Ave|Wellington St|St. Catherine St|Brant Ave|Balmoral St|Coronation Ave|Vimy St|Frontenac St|Arctic Way|Rue Principale|Rue Saint-Denis|Wellington Rd",
        cities:
            "Elgin|Lafontaine|Chatham|Toronto|Montreal|Vancouver|Calgary|Edmonton|Ottawa|Winnipeg|Québec|Hamilton|Kitchener|London|Victoria|Halifax|Oshawa|Windsor|Saskatoon|Regina|Sherbrooke|St. John's|Barrie|Kelowna|Abbotsford|Kingston|Trois-Rivières|Guelph|Moncton|Brantford|Saint John|Peterborough|Lethbridge|Nanaimo|Kamloops|Belleville|Fredericton|Charlottetown|Red Deer|Whitehorse|Yellowknife|Iqaluit|Stratford|Cochrane|Selkirk|Vaughan|Mississauga|Brampton|Burlington|Jasper|Lévis",
        states:
            "Ontario|Québec|British Columbia|Alberta|Manitoba|Saskatchewan|Nova Scotia|New Brunswick|Prince Edward Island|Newfoundland and Labrador|Yukon|Northwest Territories|Nunavut"
    )

    static let ch = NationalityTable(
        code: "CH",
        country: "Switzerland",
        maleFirst:
            "Attila|Heinrich|Luan|Dario|Sergio|Friedrich|Luca|Noah|Leon|Gabriel|Julien|Matteo|Nicolas|Marc|Yves|Laurent|Olivier|Pascal|Jean-Pierre|Christian|Daniel|René|Urs|Beat|Reto|Hansjörg|Kurt|Werner|Gilbert|Bruno|Manuel|Elias|Fabian|Patrick|Silvan|Jonas|Timo|Damien|Loris|Mathis|Nils|Aurelio|Emil|Walter|Anton",
        femaleFirst:
            "Giorgia|Léa|Chloé|Manon|Camille|Laura|Sara|Anna|Lena|Mia|Elena|Nina|Céline|Nathalie|Sandrine|Valérie|Isabelle|Monique|Brigitte|Ursula|Ruth|Heidi|Verena|Regula|Margrit|Silvia|Marlène|Aline|Jasmin|Lara|Noémie|Alessia|Chiara|Martina|Francesca|Jeanne|Simone|Yvonne|Anja|Rosa|Ella|Lina|Élise|Agathe",
        last:
            "Petit|Guillot|Muller|Francois|Blanchard|Garcia|Bernard|Martin|Dubois|Thomas|Robert|Richard|Durand|Leroy|Moreau|Simon|Laurent|Lefebvre|Michel|David|Bertrand|Roux|Vincent|Fournier|Morel|Girard|Andre|Mercier|Dupont|Lambert|Bonnet|Fontaine|Rousseau|Lucas|Faure|Roussel|Perrin|Morin|Mathieu|Clement|Gauthier|Dumont|Lopez|Fontana|Rolland|Picard|Brun|Meyer|Renaud|Giraud|Leclerc|Riviere|Colin|Vidal|Caron|Joly|Masson|Marchand|Dufour|Gerard|Roche|Lemaire|Aubert|Barbier|Arnaud|Schmitt|Noel|Brunet|Boyer|Philippe",
        streets:
            "Place de L'Abbé-Franz-Stock|Rue Principale|Rue Cyrus-Hugues|Rue Baraban|Rue Barrème|Rue de L'Abbé-Grégoire|Esplanade du 9 Novembre 1989|Rue de la Charité|Rue du Bât-D'Argent|Rue Duguesclin|Rue des Jardins|Place du 8 Février 1962|Rue de la Mairie|Rue de L'Église|Rue Pasteur|Rue du Stade|Avenue Jean-Jaurès|Rue Victor-Hugo|Rue de la Gare|Rue du Château|Rue des Écoles|Rue Courbet|Rue Dumenge|Rue Louis-Garrand|Rue Dugas-Montbel|Rue Paul Bert|Place Paul-Duquaire|Rue Laure-Diebold|Rue Bossuet|Rue Desaix|Avenue de la Libération|Rue du Dauphiné|Rue Gasparin|Montée Saint-Barthélémy|Quai Charles-De-Gaulle",
        cities:
            "Laconnex|Greifensee|Obergerlafingen|Rümlang|Bergün/Bravuogn|Arbaz|Galgenen|Zürich|Genève|Basel|Lausanne|Bern|Winterthur|Luzern|St. Gallen|Lugano|Biel/Bienne|Thun|Köniz|La Chaux-de-Fonds|Fribourg|Schaffhausen|Chur|Neuchâtel|Vernier|Sion|Uster|Emmen|Lancy|Yverdon-les-Bains|Zug|Kriens|Rapperswil-Jona|Dübendorf|Montreux|Frauenfeld|Wil|Bulle|Aarau|Baden|Riehen|Wettingen|Meyrin|Carouge|Wädenswil|Allschwil|Renens|Nyon|Vevey|Bellinzona|Locarno|Delémont|Martigny|Morges|Davos|Sarnen|Stans|Altdorf|Schwyz|Herisau|Appenzell|Glarus|Liestal|Solothurn",
        states:
            "Zürich|Bern|Luzern|Uri|Schwyz|Obwalden|Nidwalden|Glarus|Zug|Fribourg|Solothurn|Basel-Stadt|Basel-Landschaft|Schaffhausen|Appenzell Ausserrhoden|Appenzell Innerrhoden|St. Gallen|Graubünden|Aargau|Thurgau|Ticino|Vaud|Valais|Neuchâtel|Genève|Jura"
    )

    static let de = NationalityTable(
        code: "DE",
        country: "Germany",
        maleFirst:
            "Horst-Günter|Eduard|Urban|Jens|Klaus|Peter|Hans|Jürgen|Wolfgang|Manfred|Dieter|Uwe|Helmut|Gerhard|Günter|Karl-Heinz|Frank|Thomas|Michael|Andreas|Stefan|Matthias|Markus|Sebastian|Tobias|Florian|Lukas|Jonas|Leon|Finn|Paul|Maximilian|Felix|Ben|Niklas|Moritz|Tim|Till|Jannik|Henrik|Benedikt|Ingo|Holger|Rüdiger|Volker|Ulrich|Detlef|Bernd|Dirk|Torsten|Götz|Waldemar|Friedhelm|Lothar|Hartmut",
        femaleFirst:
            "Loretta|Rahel|Josefine|Marcella|Anna|Lena|Leonie|Hannah|Lea|Emma|Mia|Sophie|Marie|Laura|Julia|Lisa|Sarah|Katharina|Johanna|Clara|Charlotte|Frieda|Greta|Ida|Martina|Sabine|Petra|Monika|Ursula|Renate|Ingrid|Gisela|Brigitte|Heike|Kerstin|Silke|Anke|Birgit|Doris|Elke|Gudrun|Hildegard|Irmgard|Waltraud|Erika|Lieselotte|Annegret|Jutta|Karin|Dagmar|Svenja|Antje",
        last:
            "Korte|Marquardt|Kürschner|Neubert|Habermann|Sieber|Krause|Michler|Müller|Schmidt|Schneider|Fischer|Weber|Meyer|Wagner|Becker|Schulz|Hoffmann|Schäfer|Koch|Bauer|Richter|Klein|Wolf|Schröder|Neumann|Schwarz|Zimmermann|Braun|Krüger|Hofmann|Hartmann|Lange|Schmitt|Werner|Schmitz|Meier|Lehmann|Schmid|Schulze|Maier|Köhler|Herrmann|König|Walter|Mayer|Huber|Kaiser|Fuchs|Peters|Lang|Scholz|Möller|Weiß|Jung|Hahn|Vogel|Friedrich|Keller|Günther|Frank|Berger|Winkler|Roth|Beck|Lorenz|Baumann|Franke|Albrecht|Ludwig|Böhm|Kühn|Pohl|Engel|Brandt|Haas|Sauer|Dietrich|Ziegler|Seidel|Thiele|Voigt|Kuhn|Ehrlich",
        streets:
            "Fasanenweg|Bahnhofstraße|Ahornweg|Lerchenweg|Raiffeisenstraße|Kirchgasse|Tannenweg|Danziger Straße|Hauptstraße|Schulstraße|Gartenstraße|Dorfstraße|Bergstraße|Birkenweg|Lindenstraße|Kirchstraße|Waldstraße|Ringstraße|Mühlenweg|Schillerstraße|Goethestraße|Am Sportplatz|Friedhofstraße|Wiesenweg|Rosenstraße|Buchenweg|Eichenweg|Amselweg|Finkenweg|Meisenweg|Mozartstraße|Beethovenstraße|Feldstraße|Jahnstraße|Poststraße|Marktplatz|Breslauer Straße|Königsberger Straße|Im Winkel|Am Mühlbach|Uhlandstraße|Parkstraße|Talstraße|Blumenstraße",
        cities:
            "Teltow|Kaub|Kalkar|Vöhrenbach|Rehburg-Loccum|Mindelheim|Arneburg|Hirschhorn (Neckar)|Berlin|Hamburg|München|Köln|Frankfurt am Main|Stuttgart|Düsseldorf|Leipzig|Dortmund|Essen|Bremen|Dresden|Hannover|Nürnberg|Duisburg|Bochum|Wuppertal|Bielefeld|Bonn|Münster|Mannheim|Karlsruhe|Augsburg|Wiesbaden|Mönchengladbach|Gelsenkirchen|Aachen|Braunschweig|Kiel|Chemnitz|Halle (Saale)|Magdeburg|Freiburg im Breisgau|Krefeld|Mainz|Lübeck|Erfurt|Rostock|Kassel|Hagen|Potsdam|Saarbrücken|Hamm|Oldenburg|Osnabrück|Heidelberg|Darmstadt|Regensburg|Würzburg|Göttingen|Wolfsburg|Ulm|Pforzheim|Jena|Trier|Schwerin|Cottbus|Zwickau|Görlitz|Bad Kissingen|Lindau (Bodensee)|Weimar|Wittenberge|Bad Tölz",
        states:
            "Baden-Württemberg|Bayern|Berlin|Brandenburg|Bremen|Hamburg|Hessen|Mecklenburg-Vorpommern|Niedersachsen|Nordrhein-Westfalen|Rheinland-Pfalz|Saarland|Sachsen|Sachsen-Anhalt|Schleswig-Holstein|Thüringen"
    )

    static let dk = NationalityTable(
        code: "DK",
        country: "Denmark",
        maleFirst:
            "Sander|Kasper|Villads|Mads|Magnus|Frederik|Emil|Oliver|William|Noah|Lucas|Victor|Malthe|Oscar|Christian|Rasmus|Mathias|Mikkel|Jonas|Tobias|Anders|Jens|Søren|Niels|Lars|Henrik|Morten|Jesper|Thomas|Peter|Jørgen|Poul|Kristian|Bjørn|Aksel|Alfred|Carl|August|Valdemar|Asger|Bertram|Silas|Storm|Laurits|Johan|Adam|Marius|Benjamin",
        femaleFirst:
            "Nanna|Emma|Ida|Clara|Freja|Sofia|Alma|Ella|Anna|Laura|Mathilde|Karla|Josefine|Caroline|Isabella|Frida|Signe|Julie|Sara|Maja|Cecilie|Mette|Hanne|Susanne|Lene|Tina|Pia|Kirsten|Birgitte|Inger|Karen|Lone|Rikke|Camilla|Line|Louise|Astrid|Asta|Liva|Olivia|Agnes|Esther|Ellen|Vigga|Silje|Stine|Tilde|Marie",
        last:
            "Andersen|Sørensen|Hansen|Jensen|Nielsen|Pedersen|Larsen|Christensen|Rasmussen|Jørgensen|Petersen|Madsen|Kristensen|Olsen|Thomsen|Christiansen|Poulsen|Johansen|Møller|Mortensen|Knudsen|Jakobsen|Mikkelsen|Olesen|Frederiksen|Laursen|Henriksen|Lund|Holm|Schmidt|Eriksen|Kristiansen|Nissen|Clausen|Simonsen|Svendsen|Andreasen|Iversen|Jeppesen|Mogensen|Jacobsen|Vestergaard|Nørgaard|Dam|Berg|Bach|Kjær|Lauridsen|Carlsen|Overgaard|Østergaard|Søndergaard|Bruun|Thygesen|Dahl|Skov|Friis|Winther|Krogh|Bak|Højgaard|Ravn",
        streets:
            "Søtoften|Orevej|Lyngtoften|Brogade|Grønnegade|Skovvej|Kirkevej|Østergade|Vestergade|Nørregade|Søndergade|Møllevej|Bakkevej|Skolevej|Stationsvej|Engvej|Ahornvej|Birkevej|Bøgevej|Egevej|Lærkevej|Mosevej|Strandvejen|Rosenvænget|Toftevej|Bygaden|Violvej|Holmevej|Kildevej|Højvangen|Fasanvej|Granvej|Præstevænget|Havnegade|Industrivej|Vibevej",
        cities:
            "Ansager|Vesterborg|Sønder Stenderup|København S|København N|Aarhus C|Odense C|Aalborg|Esbjerg|Randers|Kolding|Horsens|Vejle|Roskilde|Herning|Silkeborg|Næstved|Fredericia|Viborg|Køge|Holstebro|Taastrup|Slagelse|Hillerød|Sønderborg|Svendborg|Hjørring|Holbæk|Frederikshavn|Nørresundby|Ringsted|Haderslev|Skive|Nykøbing F|Kalundborg|Aabenraa|Brøndby|Rønne|Tønder|Thisted|Ebeltoft|Skagen|Ribe|Lemvig|Faaborg|Stege|Ikast|Brande|Gørlev|Ullerslev|Gjerlev|Jystrup|Askeby|Stokkemarke|Vipperød|Lintrup",
        states: "Sjælland|Midtjylland|Nordjylland|Syddanmark|Hovedstaden"
    )

    static let es = NationalityTable(
        code: "ES",
        country: "Spain",
        maleFirst:
            "Marcos|Alejandro|Daniel|Pablo|David|Adrián|Álvaro|Javier|Sergio|Diego|Mario|Jorge|Carlos|Manuel|Antonio|José|Francisco|Juan|Luis|Miguel|Rafael|Pedro|Ángel|Fernando|Jesús|Ramón|Enrique|Alberto|Ignacio|Rubén|Iván|Raúl|Gonzalo|Hugo|Martín|Lucas|Mateo|Leo|Nicolás|Julio|Emilio|Salvador|Joaquín|Gabriel|Vicente|Esteban|Félix|Felipe|Óscar|Eduardo|Samuel",
        femaleFirst:
            "Nerea|Miriam|Eva|Lucía|María|Paula|Laura|Marta|Andrea|Sara|Alba|Carmen|Ana|Elena|Cristina|Raquel|Beatriz|Silvia|Pilar|Dolores|Rosa|Teresa|Isabel|Rocío|Inmaculada|Montserrat|Mercedes|Irene|Julia|Sofía|Martina|Valeria|Daniela|Carla|Noelia|Claudia|Lorena|Patricia|Encarnación|Concepción|Nieves|Remedios|Consuelo|Gloria|Esther|Yolanda|Aurora|Ainhoa",
        last:
            "Hidalgo|Sáez|Medina|Pastor|García|Fernández|González|Rodríguez|López|Martínez|Sánchez|Pérez|Gómez|Martín|Jiménez|Ruiz|Hernández|Díaz|Moreno|Muñoz|Álvarez|Romero|Alonso|Gutiérrez|Navarro|Torres|Domínguez|Vázquez|Ramos|Gil|Ramírez|Serrano|Blanco|Molina|Morales|Suárez|Ortega|Delgado|Castro|Ortiz|Rubio|Marín|Sanz|Núñez|Iglesias|Garrido|Cortés|Castillo|Santos|Lozano|Guerrero|Cano|Prieto|Méndez|Cruz|Calvo|Gallego|Vidal|León|Márquez|Herrera|Peña|Flores|Cabrera|Campos|Vega|Fuentes|Carrasco|Diez|Caballero|Reyes|Nieto|Aguilar|Santana|Herrero|Montero|Lorenzo|Crespo|Vicente|Benítez|Mora|Soler|Parra|Esteban",
        streets:
            "Calle de Téllez|Calle de Tetuán|Calle de Alcalá|Calle de Segovia|Calle Mayor|Calle de la Luna|Calle de Toledo|Calle de Atocha|Calle de Bravo Murillo|Calle de Argumosa|Calle del Arenal|Calle de Preciados|Calle de Embajadores|Calle de Ferraz|Calle de Bailén|Calle de la Princesa|Calle de Arturo Soria|Calle de Alberto Aguilera|Calle de Hortaleza|Calle de Fuencarral|Calle de Serrano|Calle de Velázquez|Calle de Goya|Calle de Ayala|Calle de Lagasca|Calle del Prado|Calle de las Huertas|Calle de Cervantes|Calle de Francisco Silvela|Calle del Pez|Calle de Ríos Rosas|Calle de Almagro|Avenida de Castilla|Avenida de América|Paseo de Extremadura|Calle del Barquillo|Calle de López de Hoyos|Calle de Covarrubias",
        cities:
            "Torrente|Gandía|Torrejón de Ardoz|Arrecife|Madrid|Barcelona|Valencia|Sevilla|Zaragoza|Málaga|Murcia|Palma de Mallorca|Las Palmas de Gran Canaria|Bilbao|Alicante|Córdoba|Valladolid|Vigo|Gijón|Hospitalet de Llobregat|Vitoria|La Coruña|Elche|Granada|Badalona|Oviedo|Cartagena|Terrassa|Jerez de la Frontera|Sabadell|Móstoles|Santa Cruz de Tenerife|Pamplona|Almería|Alcalá de Henares|Fuenlabrada|Leganés|San Sebastián|Getafe|Burgos|Albacete|Santander|Castellón de la Plana|Alcorcón|Logroño|Badajoz|Salamanca|Huelva|Marbella|Lleida|Tarragona|León|Cádiz|Jaén|Ourense|Mataró|Algeciras|Reus|Parla|Guadalajara|Toledo|Lorca|Mérida|Cáceres",
        states:
            "Andalucía|Aragón|Asturias|Islas Baleares|Canarias|Cantabria|Castilla y León|Castilla la Mancha|Cataluña|Comunidad Valenciana|Extremadura|Galicia|Comunidad de Madrid|Región de Murcia|Navarra|País Vasco|La Rioja|Ceuta|Melilla"
    )

    static let fi = NationalityTable(
        code: "FI",
        country: "Finland",
        maleFirst:
            "Vilho|Otto|Aatu|Eino|Väinö|Onni|Leo|Elias|Oliver|Eetu|Joona|Juho|Lauri|Niko|Mikko|Jukka|Matti|Pekka|Juha|Timo|Antti|Kari|Jari|Markku|Heikki|Seppo|Pentti|Tapio|Ilmari|Veeti|Aleksi|Valtteri|Santeri|Oskari|Eemeli|Emil|Topias|Rasmus|Jesse|Joel|Niilo|Arttu|Kalle|Sami|Tuomas|Ville|Veikko|Eero",
        femaleFirst:
            "Neea|Aino|Helmi|Ella|Sofia|Emma|Venla|Lilja|Aada|Iida|Eevi|Linnea|Pihla|Siiri|Veera|Oona|Sanni|Emilia|Anni|Saara|Peppi|Milla|Jenna|Heidi|Johanna|Laura|Anna|Maria|Tuula|Leena|Pirjo|Sirpa|Marjatta|Riitta|Eija|Satu|Päivi|Minna|Hanna|Kaisa|Tiina|Elina|Noora|Nella|Julia|Vilma|Kerttu|Lotta",
        last:
            "Ylitalo|Manni|Tikkanen|Leino|Korhonen|Virtanen|Mäkinen|Nieminen|Mäkelä|Hämäläinen|Laine|Heikkinen|Koskinen|Järvinen|Lehtonen|Lehtinen|Saarinen|Salminen|Heinonen|Niemi|Heikkilä|Kinnunen|Salonen|Turunen|Salo|Laitinen|Tuominen|Rantanen|Karjalainen|Jokinen|Mattila|Savolainen|Lahtinen|Ahonen|Hiltunen|Hakala|Pitkänen|Lindholm|Aaltonen|Kallio|Peltonen|Laaksonen|Anttila|Rinne|Leinonen|Hirvonen|Kettunen|Miettinen|Halonen|Väisänen|Lindqvist|Koivisto|Hyvönen|Ketola|Räsänen|Nurmi|Moilanen|Honkanen|Kokkonen|Eskola|Huttunen|Sirola|Pulkkinen|Tanskanen|Kivelä|Wiitala|Lampinen|Valtonen",
        streets:
            "Suvantokatu|Bulevardi|Myllypuronkatu|Tehtaankatu|Hämeenkatu|Mannerheimintie|Aleksanterinkatu|Pispalan Valtatie|Satakunnankatu|Hallituskatu|Korkeavuorenkatu|Pohjoisesplanadi|Esplanadi|Hämeentie|Itsenäisyydenkatu|Rautatienkatu|Kauppakatu|Kirkkokatu|Koulukatu|Puistokatu|Rantakatu|Mäkelänkatu|Siltakatu|Pyynikintie|Nordenskiöldinkatu|Fredrikinkatu|Mechelininkatu|Hatanpään Valtatie|Otavalankatu|Pirkankatu|Kalevankatu|Visiokatu|Verkatehtaankatu|Tuomiokirkonkatu|Kuninkaankatu|Satamakatu|Linnankatu",
        cities:
            "Nivala|Haapajärvi|Kuhmoinen|Tarvasjoki|Helsinki|Espoo|Tampere|Vantaa|Oulu|Turku|Jyväskylä|Lahti|Kuopio|Pori|Kouvola|Joensuu|Lappeenranta|Hämeenlinna|Vaasa|Seinäjoki|Rovaniemi|Mikkeli|Kotka|Salo|Porvoo|Kokkola|Hyvinkää|Lohja|Järvenpää|Rauma|Kajaani|Kerava|Savonlinna|Nokia|Ylöjärvi|Kangasala|Kemi|Tornio|Iisalmi|Raahe|Forssa|Loimaa|Uusikaupunki|Kauhava|Ikaalinen|Orimattila|Kitee|Sodankylä|Parikkala|Pudasjärvi|Kuusamo|Inari|Kemijärvi|Pyhäjärvi|Siilinjärvi|Masku|Kaarina|Naantali|Sastamala|Mariehamn",
        states:
            "Uusimaa|Southwest Finland|Satakunta|Tavastia Proper|Pirkanmaa|Päijät-Häme|Kymenlaakso|South Karelia|Southern Savonia|Northern Savonia|North Karelia|Central Finland|Southern Ostrobothnia|Ostrobothnia|Central Ostrobothnia|Northern Ostrobothnia|Kainuu|Lapland|Åland"
    )

    static let fr = NationalityTable(
        code: "FR",
        country: "France",
        maleFirst:
            "Dylan|Lucas|Hugo|Louis|Gabriel|Arthur|Jules|Nathan|Théo|Raphaël|Maxime|Thomas|Antoine|Alexandre|Baptiste|Mathis|Enzo|Tom|Noah|Clément|Quentin|Romain|Julien|Nicolas|Kevin|Florian|Bastien|Mathéo|Timothée|Valentin|Victor|Adam|Léo|Sacha|Evan|Axel|Paul|Ethan|Yanis|Noa|Malo|Loïc|Gaëtan|Jérémy|Cédric|Benoît|Gérard|Marcel|Pierre|Jean",
        femaleFirst:
            "Lison|Noélie|Kiara|Emma|Jade|Louise|Alice|Chloé|Léa|Manon|Inès|Camille|Lina|Léna|Juliette|Clara|Margaux|Lola|Zoé|Romane|Anaïs|Océane|Mathilde|Pauline|Justine|Élise|Agathe|Charlotte|Jeanne|Ambre|Maëlys|Élodie|Capucine|Apolline|Lucie|Mélissa|Maélie|Sarah|Eva|Nina|Rose|Héloïse|Coralie|Aurore|Sylvie|Nathalie|Isabelle|Brigitte|Madeleine|Yvette",
        last:
            "Legrand|Brunet|David|Gautier|Martin|Bernard|Dubois|Thomas|Robert|Richard|Petit|Durand|Leroy|Moreau|Simon|Laurent|Lefebvre|Michel|Garcia|Bertrand|Roux|Vincent|Fournier|Morel|Girard|André|Lefèvre|Mercier|Dupont|Lambert|Bonnet|François|Martinez|Fontaine|Rousseau|Blanc|Guerin|Muller|Henry|Roussel|Nicolas|Perrin|Morin|Mathieu|Clement|Gauthier|Dumas|Lemoine|Leclerc|Renard|Meunier|Caron|Marchand|Dufour|Blanchard|Barbier|Arnaud|Rolland|Lacroix|Colin|Vidal|Roger|Fabre|Aubert|Bourgeois|Noel|Picard|Lemaire|Hubert|Dumont|Adam|Chevalier|Boyer|Fleury|Denis|Giraud|Lucas|Robin|Masson|Sanchez|Rey|Boucher",
        streets:
            "Rue Chazière|Quai Chauveau|Rue Abel|Rue Bataille|Rue de la Barre|Rue du Dauphiné|Rue Dumenge|Rue Pierre-Delore|Rue des Cuirassiers|Rue de la Baleine|Place de la Mairie|Rue Saint-Georges|Rue de la République|Rue Victor-Hugo|Avenue Jean-Jaurès|Rue du Bât-D'Argent|Rue Paul Bert|Rue Courbet|Rue des Écoles|Rue de L'Église|Rue Gasparin|Rue Laure-Diebold|Rue de la Gare|Rue Pasteur|Rue Louis-Blanqui|Place du 22 Novembre 1943|Rue Jean-Baldassini|Rue Baraban|Rue du Cardinal-Gerlier|Avenue Debourg|Rue de L'Abbé-Roger-Derry|Rue Duquesne|Avenue des Ternes|Rue Saint-Jacques|Rue de Gerland|Rue du Village|Rue des Chartreux|Montée du Chemin-Neuf|Rue Jean-Moulin|Rue Bossuet",
        cities:
            "Tours|Rennes|Argenteuil|Marseille|Paris|Lyon|Toulouse|Nice|Nantes|Strasbourg|Montpellier|Bordeaux|Lille|Reims|Le Havre|Saint-Étienne|Toulon|Grenoble|Dijon|Angers|Nîmes|Villeurbanne|Clermont-Ferrand|Le Mans|Aix-en-Provence|Brest|Limoges|Amiens|Perpignan|Metz|Besançon|Boulogne-Billancourt|Orléans|Mulhouse|Rouen|Caen|Nancy|Saint-Denis|Montreuil|Roubaix|Tourcoing|Nanterre|Avignon|Créteil|Poitiers|Versailles|Courbevoie|Vitry-sur-Seine|Colombes|Pau|Aulnay-sous-Bois|Asnières-sur-Seine|Rueil-Malmaison|Champigny-sur-Marne|Saint-Maur-des-Fossés|Antibes|Calais|Cannes|La Rochelle|Ajaccio|Bourges|Colmar|Quimper|Troyes",
        states:
            "Ain|Aisne|Allier|Alpes-de-Haute-Provence|Hautes-Alpes|Alpes-Maritimes|Ardèche|Ardennes|Ariège|Aube|Aude|Aveyron|Bouches-du-Rhône|Calvados|Cantal|Charente|Charente-Maritime|Cher|Corrèze|Corse-du-Sud|Haute-Corse|Côte-d'Or|Côtes-d'Armor|Creuse|Dordogne|Doubs|Drôme|Eure|Eure-et-Loir|Finistère|Gard|Haute-Garonne|Gers|Gironde|Hérault|Ille-et-Vilaine|Indre|Indre-et-Loire|Isère|Jura|Landes|Loir-et-Cher|Loire|Haute-Loire|Loire-Atlantique|Loiret|Lot|Lot-et-Garonne|Lozère|Maine-et-Loire|Manche|Marne|Haute-Marne|Mayenne|Meurthe-et-Moselle|Meuse|Morbihan|Moselle|Nièvre|Nord|Oise|Orne|Pas-de-Calais|Puy-de-Dôme|Pyrénées-Atlantiques|Hautes-Pyrénées|Pyrénées-Orientales|Bas-Rhin|Haut-Rhin|Rhône|Haute-Saône|Saône-et-Loire|Sarthe|Savoie|Haute-Savoie|Paris|Seine-Maritime|Seine-et-Marne|Yvelines|Deux-Sèvres|Somme|Tarn|Tarn-et-Garonne|Var|Vaucluse|Vendée|Vienne|Haute-Vienne|Vosges|Yonne|Territoire de Belfort|Essonne|Hauts-de-Seine|Seine-Saint-Denis|Val-de-Marne|Val-d'Oise"
    )

    static let gb = NationalityTable(
        code: "GB",
        country: "United Kingdom",
        maleFirst:
            "Carter|Daryl|Noah|Shawn|Oliver|George|Harry|Jack|Jacob|Charlie|Thomas|Oscar|William|James|Leo|Alfie|Joshua|Freddie|Archie|Ethan|Isaac|Alexander|Joseph|Edward|Samuel|Max|Daniel|Arthur|Lucas|Mohammad|Logan|Theo|Harrison|Benjamin|Mason|Sebastian|Finley|Adam|Dylan|Zachary|Riley|Toby|Callum|Kieran|Craig|Gavin|Ross|Lee|Dean|Nigel|Clive|Trevor|Graham|Malcolm|Derek|Neil|Barry|Roy",
        femaleFirst:
            "Olivia|Amelia|Isla|Ava|Emily|Isabella|Mia|Poppy|Ella|Lily|Evie|Sophia|Grace|Chloe|Freya|Millie|Daisy|Phoebe|Florence|Alice|Ruby|Charlotte|Jessica|Holly|Megan|Lauren|Abigail|Bethany|Katie|Rebecca|Gemma|Kirsty|Leanne|Stacey|Hayley|Jodie|Zoe|Natalie|Carol|Pauline|Maureen|Sheila|Brenda|Hilda|Beryl|Gwendolyn|Yvonne|Tracey|Mandy|Abbie|Eleanor|Imogen",
        last:
            "Silva|Allen|Anderson|Douglas|Smith|Jones|Williams|Taylor|Brown|Davies|Evans|Wilson|Thomas|Johnson|Roberts|Robinson|Thompson|Wright|Walker|White|Edwards|Hughes|Green|Hall|Lewis|Harris|Clarke|Patel|Jackson|Wood|Turner|Martin|Cooper|Hill|Ward|Morris|Moore|Clark|Lee|King|Baker|Harrison|Morgan|James|Scott|Phillips|Watson|Davis|Parker|Price|Bennett|Young|Griffiths|Mitchell|Kelly|Cook|Carter|Richardson|Bailey|Collins|Bell|Shaw|Murphy|Miller|Cox|Richards|Khan|Marshall|Simpson|Ellis|Adams|Singh|Begum|Wilkinson|Foster|Chapman|Powell|Webb|Rogers|Gray|Mason|Ali|Hunt|Hussain|Campbell|Matthews|Owen|Palmer|Holmes|Mills|Barnes|Knight|Lloyd|Butler|Russell|Barker|Fisher|Stevens|Jenkins|Murray|Dixon|Harvey|Graham|Pearson|Ahmed|Fletcher",
        streets:
            "Manchester Road|Rectory Lane|New Road|Station Road|High Street|Church Street|Main Street|Park Road|Victoria Road|Green Lane|Manor Road|Church Lane|Park Avenue|The Avenue|The Crescent|Queens Road|Kings Road|Grange Road|North Road|Mill Lane|Stanley Road|London Road|Springfield Road|Alexander Road|York Road|Highfield Road|Windsor Road|Albert Road|Richmond Road|Chester Road|Brick Kiln Road|Mill Road|School Lane|West Street|Broadway|Moor Lane|Chapel Street|The Green|Queensway|George Street|King Street|Kingsway",
        cities:
            "St Albans|Belfast|Ripon|Westminster|London|Birmingham|Manchester|Leeds|Liverpool|Sheffield|Bristol|Glasgow|Edinburgh|Cardiff|Leicester|Coventry|Bradford|Nottingham|Kingston upon Hull|Newcastle upon Tyne|Stoke-on-Trent|Southampton|Derby|Portsmouth|Brighton and Hove|Plymouth|Wolverhampton|Aberdeen|Swansea|Sunderland|Norwich|Salford|Exeter|Lancaster|Wakefield|Preston|Bath|Canterbury|Chester|Carlisle|Durham|Ely|Gloucester|Hereford|Lichfield|Lincoln|Oxford|Cambridge|Peterborough|Salisbury|Truro|Wells|Winchester|Worcester|York|Chichester|Dundee|Inverness|Perth|Stirling|Newry|Armagh|Derry|Lisburn|Bangor|Newport|St Davids",
        states:
            "Bedfordshire|Berkshire|Bristol|Buckinghamshire|Cambridgeshire|Cheshire|Cornwall|Cumbria|Derbyshire|Devon|Dorset|Durham|East Sussex|Essex|Gloucestershire|Greater London|Greater Manchester|Hampshire|Herefordshire|Hertfordshire|Isle of Wight|Kent|Lancashire|Leicestershire|Lincolnshire|Merseyside|Norfolk|North Yorkshire|Northamptonshire|Northumberland|Nottinghamshire|Oxfordshire|Rutland|Shropshire|Somerset|South Yorkshire|Staffordshire|Suffolk|Surrey|Tyne and Wear|Warwickshire|West Midlands|West Sussex|West Yorkshire|Wiltshire|Worcestershire|East Riding of Yorkshire|County Down|County Antrim|Fife|Powys|Gwynedd|Dyfed|Highlands|Grampian|Lothian|Strathclyde|Tayside|Borders|Central"
    )

    static let ie = NationalityTable(
        code: "IE",
        country: "Ireland",
        maleFirst:
            "Russell|Paul|Seán|Jack|James|Noah|Conor|Daniel|Adam|Michael|Liam|Cian|Darragh|Oisín|Fionn|Tadhg|Patrick|Ryan|Luke|Charlie|Thomas|Dylan|Harry|Rory|Aidan|Eoin|Ciarán|Niall|Colm|Declan|Dermot|Donal|Brendan|Kevin|Shane|Ronan|Fergus|Cathal|Padraig|Eamon|Gerard|Brian|Joseph|Francis|Martin|Owen|Cillian|Killian",
        femaleFirst:
            "Sophie|Caitlin|Emily|Grace|Fiadh|Ava|Lucy|Amelia|Ellie|Mia|Sadhbh|Aoife|Saoirse|Niamh|Róisín|Clodagh|Orla|Siobhán|Aisling|Ciara|Sinéad|Áine|Éabha|Caoimhe|Muireann|Bridget|Mary|Margaret|Kathleen|Eileen|Maureen|Deirdre|Nuala|Síle|Gráinne|Laura|Rachel|Chloe|Hannah|Katie|Molly|Julia|Holly|Erin|Alice|Ella|Zoe|Megan",
        last:
            "Caldwell|Russell|Bates|Griffin|Murphy|Kelly|O'Sullivan|Walsh|Smith|O'Brien|Byrne|Ryan|O'Connor|O'Neill|O'Reilly|Doyle|McCarthy|Gallagher|O'Doherty|Kennedy|Lynch|Murray|Quinn|Moore|McLoughlin|O'Carroll|Connolly|Daly|O'Connell|Wilson|Dunne|Brennan|Burke|Collins|Campbell|Clarke|Johnston|Hughes|O'Farrell|Fitzgerald|Brown|Martin|Maguire|Nolan|Flynn|Thompson|O'Callaghan|O'Donnell|Duffy|O'Mahony|Boyle|Healy|O'Shea|White|Sweeney|Hayes|Kavanagh|Power|McGrath|Moran|Brady|Stewart|Casey|Foley|Fitzpatrick|O'Leary|McDonnell|MacMahon|Donnelly|Regan|Donovan|Burns|Flanagan|Mullan|Barry|Kane|Robinson|Cunningham|Griffith|Kenny|Sheehan|Ward|Whelan|Lyons|Reid|Graham|Higgins|Cullen|Keane|King|Maher|McKenna|Bell|Scott|Hogan|Keegan",
        streets:
            "George Street|Strand Road|Park Road|Park Avenue|Main Street|Church Street|High Street|Church Road|Mill Road|New Street|Patrick Street|O'Connell Street|Grafton Street|Dame Street|Henry Street|Grove Road|The Green|Bridge Street|Castle Street|Mary Street|Green Lane|Pearse Street|Abbey Street|Westmoreland Street|Kings Road|Queens Road|School Lane|Manor Road|Victoria Road|Station Road|Grange Road|Highfield Road|Springfield Road|Chapel Lane|Albert Road|The Crescent|Brick Lane|Mill Lane",
        cities:
            "Newbridge|Limerick|Mullingar|Dublin|Cork|Galway|Waterford|Drogheda|Dundalk|Swords|Bray|Navan|Kilkenny|Ennis|Carlow|Tralee|Naas|Athlone|Portlaoise|Letterkenny|Tullamore|Celbridge|Killarney|Wexford|Sligo|Clonmel|Greystones|Malahide|Leixlip|Balbriggan|Arklow|Cobh|Ashbourne|Maynooth|Castlebar|Mallow|Ballina|Enniscorthy|Wicklow|Longford|Nenagh|Thurles|Dungarvan|Cavan|Monaghan|Skerries|Tuam|Youghal|Shannon|Trim|Kildare|Roscommon|Westport|Carrick-on-Shannon",
        states:
            "Carlow|Cavan|Clare|Cork|Donegal|Dublin|Galway|Kerry|Kildare|Kilkenny|Laois|Leitrim|Limerick|Longford|Louth|Mayo|Meath|Monaghan|Offaly|Roscommon|Sligo|Tipperary|Waterford|Westmeath|Wexford|Wicklow"
    )

    static let `in` = NationalityTable(
        code: "IN",
        country: "India",
        maleFirst:
            "Kahaan|Aarav|Ishaan|Vihaan|Arjun|Aditya|Reyansh|Sai|Krishna|Ayaan|Vivaan|Atharv|Rohan|Rahul|Amit|Vikram|Sanjay|Rajesh|Suresh|Manoj|Anil|Sunil|Deepak|Harsh|Nikhil|Pranav|Siddharth|Karan|Varun|Kunal|Tushar|Yash|Aryan|Dev|Dhruv|Kabir|Laksh|Naveen|Pratik|Ramesh|Sachin|Tanay|Uday|Vedant|Yuvraj|Shaurya|Mohit|Gaurav|Abhishek|Akash|Jayesh|Hemant",
        femaleFirst:
            "Saanvi|Diya|Aadhya|Ananya|Pari|Anika|Navya|Myra|Sara|Ira|Kiara|Avni|Riya|Priya|Pooja|Neha|Sneha|Anjali|Kavya|Meera|Nisha|Shreya|Tanvi|Ishita|Aditi|Divya|Swati|Lakshmi|Sunita|Anita|Geeta|Rekha|Lata|Asha|Kajal|Nandini|Pallavi|Radhika|Shruti|Sakshi|Tara|Vaishnavi|Yamini|Zoya|Bhavya|Charvi|Devika|Gauri|Harini|Jiya|Kritika|Mahika",
        last:
            "Shetty|Iyer|Nair|Reddy|Sharma|Verma|Gupta|Singh|Kumar|Patel|Shah|Mehta|Joshi|Desai|Rao|Menon|Pillai|Naidu|Chopra|Kapoor|Malhotra|Khanna|Bose|Banerjee|Chatterjee|Mukherjee|Das|Dutta|Ghosh|Sen|Roy|Agarwal|Jain|Bansal|Mittal|Saxena|Srivastava|Tiwari|Mishra|Pandey|Dubey|Trivedi|Kulkarni|Patil|Pawar|Jadhav|Deshmukh|Gaikwad|Shinde|Kamath|Hegde|Bhat|Acharya|Naik|Gowda|Chauhan|Rathore|Yadav|Thakur|Bhatt|Dixit|Kaur|Gill|Sandhu|Dhillon|Grewal|Sethi|Arora|Bhatia|Chaudhary|Prajapati|Rajput|Solanki|Parmar|Shukla|Goswami",
        streets:
            "Racecource Rd|MG Road|Station Rd|Nehru Road|Gandhi Road|Main Road|Church Street|Brigade Road|Park Street|Linking Rd|Hill Road|Lake Road|Mall Road|Temple Street|Market Road|Bazaar Rd|Tilak Road|Subhash Marg|Netaji Subhash Road|Rajaji Salai|Anna Salai|Residency Road|Cunningham Road|Jawahar Nagar Rd|Sardar Patel Marg|Ashok Marg|College Road|Hospital Road|Ring Road|Airport Road|Old Mumbai Rd|Carter Road|Marine Drive|Camp Road|Cantonment Rd|Shivaji Marg|Rajpath|Bank Street",
        cities:
            "Narasaraopet|Mumbai|Delhi|Bengaluru|Hyderabad|Ahmedabad|Chennai|Kolkata|Surat|Pune|Jaipur|Lucknow|Kanpur|Nagpur|Indore|Thane|Bhopal|Visakhapatnam|Patna|Vadodara|Ghaziabad|Ludhiana|Agra|Nashik|Faridabad|Meerut|Rajkot|Varanasi|Srinagar|Aurangabad|Dhanbad|Amritsar|Allahabad|Ranchi|Howrah|Coimbatore|Jabalpur|Gwalior|Vijayawada|Jodhpur|Madurai|Raipur|Kota|Guwahati|Chandigarh|Solapur|Mysore|Tiruchirappalli|Bareilly|Aligarh|Tiruppur|Moradabad|Jalandhar|Bhubaneswar|Salem|Warangal|Guntur|Bhiwandi|Saharanpur|Gorakhpur|Bikaner|Amravati|Noida|Jamshedpur|Bhilai|Cuttack|Kochi|Udaipur|Dehradun|Ongole|Nellore|Kurnool|Eluru|Tenali|Machilipatnam",
        states:
            "Andhra Pradesh|Arunachal Pradesh|Assam|Bihar|Chhattisgarh|Goa|Gujarat|Haryana|Himachal Pradesh|Jharkhand|Karnataka|Kerala|Madhya Pradesh|Maharashtra|Manipur|Meghalaya|Mizoram|Nagaland|Odisha|Punjab|Rajasthan|Sikkim|Tamil Nadu|Telangana|Tripura|Uttar Pradesh|Uttarakhand|West Bengal|Delhi|Jammu and Kashmir|Puducherry|Chandigarh|Ladakh"
    )

    static let ir = NationalityTable(
        code: "IR",
        country: "Iran",
        maleFirst:
            "دانیال|آرمین|علی|محمد|حسین|رضا|مهدی|امیر|امیرحسین|محمدرضا|سینا|پارسا|آرش|کیان|بردیا|سپهر|نیما|پویا|میلاد|سعید|حمید|مجید|فرهاد|بهروز|کامران|داریوش|کوروش|بابک|مهران|یاسین|ابوالفضل|عرفان|طاها|محمدامین|امید|مسعود|ناصر|جواد|هادی|وحید|شهاب|مازیار|رامین|پرهام|اشکان|کسری|سامان|حامد",
        femaleFirst:
            "یسنا|فاطمه|زهرا|مریم|سارا|نازنین|ستایش|هستی|آیدا|الناز|نگار|مهسا|نیلوفر|پریا|ترانه|شیرین|لیلا|مینا|سمیرا|رویا|پریسا|فرناز|نرگس|یگانه|ریحانه|کوثر|محدثه|حدیث|باران|آوا|رها|النا|دینا|آنیتا|ملیکا|مهتاب|سحر|شقایق|گلناز|بهاره|نسترن|پرستو|هانیه|کیانا|تینا|آرزو|سوگند|عسل",
        last:
            "حسینی|صدر|کامروا|محمدی|رضایی|احمدی|موسوی|جعفری|کریمی|رحیمی|هاشمی|صادقی|قاسمی|ابراهیمی|کاظمی|مرادی|اکبری|عباسی|نوری|سلطانی|زارعی|یزدانی|تهرانی|شیرازی|اصفهانی|کرمانی|نجفی|طاهری|فرهادی|امینی|بهرامی|سعیدی|نظری|رستمی|شریفی|ملکی|حیدری|خسروی|میرزایی|پارسا|نیکپور|سالاری|قربانی|مختاری|انصاری|فاضلی|کیانی|جلالی|مقدم|یوسفی|افشار|رحمانی|وحیدی|صالحی|باقری|علیزاده|کوهی|زمانی|سهرابی|نوروزی|پاکزاد|مشایخی|گلزار|آقایی|سبحانی|فراهانی",
        streets:
            "هویزه|شهید کشواد|پارک طالقانی|میدان انقلاب|ولیعصر|آزادی|شریعتی|طالقانی|مطهری|فاطمی|کارگر|انقلاب|جمهوری|امام خمینی|دکتر فاطمی|شهید بهشتی|میرداماد|ستارخان|پاسداران|نیاوران|فرشته|کریمخان زند|حافظ|فردوسی|سعدی|مولوی|نواب|خیام|پیروزی|شهید رجایی|دماوند|سهروردی|مفتح|شهید مدنی|کمیل|استاد معین",
        cities:
            "خوی|بجنورد|آبادان|تهران|مشهد|اصفهان|کرج|شیراز|تبریز|قم|اهواز|کرمانشاه|ارومیه|رشت|زاهدان|همدان|کرمان|یزد|اردبیل|بندرعباس|اراک|اسلامشهر|زنجان|سنندج|قزوین|گرگان|ساری|شهریار|قرچک|کاشان|دزفول|نیشابور|سبزوار|بوشهر|بروجرد|ملارد|ورامین|ساوه|آمل|بابل|قائمشهر|ایلام|سمنان|بیرجند|یاسوج|شهرکرد|سیرجان|مراغه|مهاباد|بوکان|میاندوآب|زابل|گنبد کاووس|رفسنجان|بم|شاهرود|تربت حیدریه|قوچان|مرودشت|جهرم|پاکدشت|ماهشهر|اندیمشک|ایذه",
        states:
            "تهران|اصفهان|فارس|خراسان رضوی|خوزستان|آذربایجان شرقی|آذربایجان غربی|کرمان|مازندران|گیلان|البرز|سیستان و بلوچستان|کرمانشاه|همدان|یزد|اردبیل|هرمزگان|مرکزی|لرستان|کردستان|گلستان|قزوین|زنجان|بوشهر|سمنان|قم|ایلام|چهارمحال و بختیاری|کهگیلویه و بویراحمد|خراسان شمالی|خراسان جنوبی"
    )

    static let mx = NationalityTable(
        code: "MX",
        country: "Mexico",
        maleFirst:
            "Pablo|Gregorio|José|Juan|Luis|Carlos|Jorge|Miguel|Francisco|Alejandro|Ricardo|Roberto|Fernando|Eduardo|Javier|Arturo|Sergio|Raúl|Enrique|Héctor|Manuel|Alfredo|Guillermo|Rodrigo|Emiliano|Santiago|Mateo|Diego|Sebastián|Leonardo|Iker|Joaquín|Ignacio|Rubén|Salvador|Gustavo|Marco|Andrés|Ramiro|Benito|Cuauhtémoc|Octavio|Armando|Rogelio|Gilberto|Efraín|Abel|Tomás|Mauricio|Agustín|Ulises",
        femaleFirst:
            "Dolores|Amalia|María|Guadalupe|Sofía|Ximena|Valentina|Regina|Camila|Renata|Fernanda|Daniela|Mariana|Gabriela|Andrea|Alejandra|Verónica|Leticia|Rosa|Juana|Margarita|Patricia|Adriana|Lorena|Claudia|Yolanda|Silvia|Araceli|Esperanza|Josefina|Rocío|Beatriz|Lourdes|Graciela|Consuelo|Elvira|Itzel|Maricela|Paola|Natalia|Monserrat|Alondra|Frida|Marisol|Yesenia|Rebeca|Cristina|Abril",
        last:
            "Arguello|Pulido|Rendón|Figueroa|Hernández|García|Martínez|López|González|Pérez|Rodríguez|Sánchez|Ramírez|Cruz|Flores|Gómez|Morales|Vázquez|Reyes|Jiménez|Torres|Díaz|Gutiérrez|Ruiz|Mendoza|Aguilar|Ortiz|Moreno|Castillo|Romero|Álvarez|Méndez|Chávez|Rivera|Juárez|Ramos|Domínguez|Herrera|Medina|Castro|Vargas|Guzmán|Velázquez|Muñoz|Rojas|Contreras|Salazar|Luna|Ortega|Guerrero|Estrada|Bautista|Cortés|Soto|Alvarado|Espinoza|Lara|Ávila|Ríos|Cervantes|Silva|Delgado|Vega|Márquez|Sandoval|Carrillo|León|Mejía|Solís|Rosas|Ibarra|Valencia|Campos|Nava|Orozco|Santiago|Trejo|Zamora|Villarreal|Benavides|Olivares|Tapia|Quintero|Caballero|Escobedo|Pacheco|Meléndez|Ochoa|Montoya|Saucedo|Lozano",
        streets:
            "Peatonal del Río|Diagonal Sur Barrientos|Callejón Sur Naranjo|Diagonal Herrera|Calle Juárez|Avenida Hidalgo|Calle Morelos|Calle Zaragoza|Privada Allende|Cerrada Madero|Pasaje Guerrero|Circunvalación Norte Aldama|Retorno Sur Matamoros|Eje vial Reforma|Continuación Insurgentes|Ampliación Sur Victoria|Andador Obregón|Prolongación Norte Cárdenas|Viaducto Sur Villa|Calzada Ocampo|Boulevard Abasolo|Periférico Sur Carranza|Corredor Norte Bravo|Cerrada Oeste Ortiz|Pasaje Sur Ruiz|Callejón Este Nava|Privada Norte Trejo|Diagonal Escobedo|Ramal Norte Montoya|Calle Sur Galeana|Andador Mina|Avenida Sur Ochoa|Retorno Norte Pineda|Circuito Rayón|Eje vial Norte Tapia|Peatonal Lozano|Viaducto Quintero|Ampliación Vicario|Prolongación Bautista",
        cities:
            "Ejido Constitución|Coacoatzintla|Soledad de Graciano Sánchez|San Patricio (Melaque)|Ciudad de México|Guadalajara|Monterrey|Puebla|Tijuana|León|Ciudad Juárez|Zapopan|Mérida|San Luis Potosí|Aguascalientes|Hermosillo|Saltillo|Mexicali|Culiacán|Querétaro|Chihuahua|Morelia|Toluca|Cancún|Acapulco|Torreón|Reynosa|Tlaquepaque|Tuxtla Gutiérrez|Durango|Veracruz|Xalapa|Oaxaca de Juárez|Mazatlán|Irapuato|Celaya|Villahermosa|Ensenada|Tepic|Campeche|La Paz|Colima|Zacatecas|Pachuca|Cuernavaca|Chilpancingo|Tampico|Ciudad Obregón|Nuevo Laredo|Matamoros|Los Mochis|Uruapan|Tehuacán|Córdoba|Orizaba|Tapachula|San Cristóbal de las Casas|Chetumal|Ciudad Victoria|Piedras Negras|Tlalnepantla|Nezahualcóyotl|Ecatepec|Naucalpan|Salamanca|Poza Rica|Coatzacoalcos|Guasave|Navojoa|Santa Catarina|Apodaca|General Escobedo|San Nicolás de los Garza",
        states:
            "Aguascalientes|Baja California|Baja California Sur|Campeche|Chiapas|Chihuahua|Ciudad de México|Coahuila|Colima|Durango|Guanajuato|Guerrero|Hidalgo|Jalisco|Estado de México|Michoacán|Morelos|Nayarit|Nuevo León|Oaxaca|Puebla|Querétaro|Quintana Roo|San Luis Potosí|Sinaloa|Sonora|Tabasco|Tamaulipas|Tlaxcala|Veracruz|Yucatán|Zacatecas"
    )

    static let nl = NationalityTable(
        code: "NL",
        country: "Netherlands",
        maleFirst:
            "Koenraad|Naim|Joy|Filippus|Thiago|Daan|Sem|Lucas|Levi|Finn|Milan|Bram|Jesse|Luuk|Thijs|Lars|Ruben|Stijn|Tim|Sven|Jasper|Niels|Bas|Joost|Maarten|Pieter|Willem|Jan|Hendrik|Cornelis|Gerrit|Johannes|Jacobus|Dirk|Arie|Kees|Henk|Wim|Joep|Gijs|Teun|Siem|Mees|Noud|Wessel|Floris|Jelle|Sjoerd|Hidde|Tygo|Bart|Rutger|Sander|Marnix",
        femaleFirst:
            "Josja|Emma|Julia|Tess|Sophie|Zoë|Mila|Sara|Eva|Noor|Lotte|Fleur|Lieke|Femke|Anouk|Sanne|Iris|Roos|Isa|Saar|Lisa|Lynn|Nina|Yara|Fenna|Evi|Maud|Jet|Liv|Nova|Hanneke|Marieke|Ingrid|Annemiek|Wilma|Joke|Ria|Truus|Geertje|Anneke|Willemijn|Sietske|Femmie|Jolien|Elise|Esmee|Britt|Merel",
        last:
            "Hoedjes|Held|Ooteman|Schook|Van Andel|Niewold|De Jong|Jansen|De Vries|Van den Berg|Van Dijk|Bakker|Janssen|Visser|Smit|Meijer|De Boer|Mulder|De Groot|Bos|Vos|Peters|Hendriks|Van Leeuwen|Dekker|Brouwer|De Wit|Dijkstra|Smits|De Graaf|Van der Meer|Van der Linden|Kok|Jacobs|De Haan|Vermeulen|Van den Heuvel|Van der Veen|Van den Broek|De Bruijn|De Bruin|Van der Heijden|Schouten|Van Beek|Willems|Van Vliet|Van de Ven|Hoekstra|Maas|Verhoeven|Koster|Van Dam|Prins|Blom|Huisman|Peeters|Kuipers|Van Wijk|Postma|Kramer|Van der Wal|Timmermans|Veenstra|Boersma|Zwart|Wouters|Hofman|Scholten|Bosman|Terpstra|Oosterhuis|Haverkamp|Gerritsen|Klaassen|Brinkman|Mol|Ten Have|Hulshof",
        streets:
            "Bontekoestraat|Caddenbosch|Henk Lensenlaan|Johannes Uitenbogaertstraat|Annelien Kappeyne van de Coppellostraat|Dr. Banningstraat|Kerkstraat|Schoolstraat|Molenstraat|Dorpsstraat|Stationsweg|Julianastraat|Wilhelminastraat|Beatrixstraat|Oranjestraat|Prins Bernhardstraat|Kastanjelaan|Eikenlaan|Beukenlaan|Lindenlaan|Nieuwstraat|Markt|Hoofdstraat|Kanaalweg|Parallelweg|Industrieweg|Sportlaan|Tulpstraat|Rozenstraat|Vondelstraat|Rembrandtlaan|Van Goghstraat|Burgemeester de Withstraat|Pieter de Hoochstraat|Herengracht|Keizersgracht|Achterweg|Populierenlaan|Zuiderdiep",
        cities:
            "Matsloot|Netersel|Midwolda|Kilder|Munnekemoer|Zwaag|Amsterdam|Rotterdam|Den Haag|Utrecht|Eindhoven|Groningen|Tilburg|Almere|Breda|Nijmegen|Apeldoorn|Haarlem|Arnhem|Enschede|Amersfoort|Zaandam|'s-Hertogenbosch|Zwolle|Leiden|Maastricht|Dordrecht|Ede|Alphen aan den Rijn|Leeuwarden|Alkmaar|Emmen|Delft|Venlo|Deventer|Sittard|Helmond|Oss|Hilversum|Heerlen|Hengelo|Purmerend|Roosendaal|Schiedam|Lelystad|Vlaardingen|Gouda|Assen|Middelburg|Harderwijk|Sneek|Den Helder|Kampen|Winterswijk|Hoorn|Veendam|Workum|Oudewater|Ter Apel|Ommen|Bunschoten",
        states: "Drenthe|Flevoland|Friesland|Gelderland|Groningen|Limburg|Noord-Brabant|Noord-Holland|Overijssel|Utrecht|Zeeland|Zuid-Holland"
    )

    static let no = NationalityTable(
        code: "NO",
        country: "Norway",
        maleFirst:
            "Ibrahim|Michal|Lias|Tom|Jakob|Emil|Noah|Oliver|Filip|William|Lucas|Liam|Henrik|Aksel|Oskar|Isak|Magnus|Mathias|Sander|Tobias|Elias|Johannes|Sebastian|Kristian|Martin|Jonas|Eirik|Håkon|Sigurd|Torstein|Olav|Knut|Lars|Per|Bjørn|Arne|Geir|Svein|Terje|Rune|Trond|Odd|Stian|Vegard|Ove|Even|Ola|Kasper|Theodor|Mohammed|Adrian",
        femaleFirst:
            "Iben|Weronika|Emily|Nora|Emma|Ella|Maja|Olivia|Sofie|Ingrid|Leah|Sara|Frida|Hedda|Thea|Tiril|Ida|Hanna|Sofia|Vilde|Astrid|Selma|Mathilde|Amalie|Julie|Marte|Kari|Ingeborg|Solveig|Randi|Anne|Liv|Bente|Hilde|Tone|Trine|Siri|Silje|Åse|Gunhild|Eldbjørg|Turid|Marianne|Mari|Synne|Oda|Linnea|Eline",
        last:
            "Drageset|Lofthus|Sundstrøm|Nilssen|Voll|Abdullahi|Leiknes|Hansen|Johansen|Olsen|Larsen|Andersen|Pedersen|Nilsen|Kristiansen|Jensen|Karlsen|Johnsen|Pettersen|Eriksen|Berg|Haugen|Hagen|Johannessen|Andreassen|Jacobsen|Dahl|Jørgensen|Halvorsen|Henriksen|Lund|Sørensen|Jakobsen|Moen|Gundersen|Iversen|Strand|Solberg|Svendsen|Eide|Knutsen|Martinsen|Paulsen|Bakken|Kristoffersen|Mathisen|Lie|Amundsen|Nguyen|Rasmussen|Ali|Lunde|Solheim|Berge|Moe|Nygård|Bakke|Kristensen|Fredriksen|Holm|Lien|Hauge|Christensen|Andresen|Nielsen|Knudsen|Evensen|Sæther|Aas|Myhre|Hanssen|Ahmed|Haugland|Thomassen|Sivertsen|Simonsen|Danielsen|Berntsen|Sandvik|Rønning|Arnesen|Antonsen|Næss|Vik|Haug|Ellingsen|Thorsen|Edvardsen|Birkeland|Isaksen|Gulbrandsen|Ruud|Aasen|Strøm|Myklebust|Tangen|Ødegård|Eliassen|Helland|Bøe|Jenssen|Aune|Mikkelsen|Tveit|Brekke|Abrahamsen|Madsen|Kleiven|Stokke|Tvedt|Grønvold|Skaar|Syvertsen|Melby|Fossum|Rustad|Kvamme|Mo",
        streets:
            "Professor Lochmanns gate|Alunsjøveien|Hollendergata|Krokstien|Hockeyveien|Spireaveien|Sigurd Syrs gate|Storgata|Kirkegata|Skolegata|Kongens gate|Dronningens gate|Parkveien|Skogveien|Bjørkeveien|Granveien|Furuveien|Solveien|Sjøgata|Havnegata|Fjellveien|Bakkeveien|Strandveien|Tollbugata|Thorvald Meyers gate|Markveien|Bogstadveien|Ullevålsveien|Trondheimsveien|Hegdehaugsveien|Nedre Slottsgate|Øvre Slottsgate|Rosenkrantz' gate|Akersgata|Grønlandsleiret|Sagveien|Haugerudveien|Møllergata|Ekebergveien|Kirkeveien|Lyngveien|Rådhusgata|Skippergata",
        cities:
            "Innbygda|Nordkjosbotn|Kil|Vestre Jakobselv|Hellerud|Nesbyen|Sneltvedt|Oslo|Bergen|Trondheim|Stavanger|Drammen|Fredrikstad|Kristiansand|Sandnes|Tromsø|Sarpsborg|Skien|Ålesund|Sandefjord|Haugesund|Tønsberg|Moss|Porsgrunn|Bodø|Arendal|Hamar|Larvik|Halden|Lillehammer|Harstad|Molde|Kongsberg|Gjøvik|Horten|Mo i Rana|Kristiansund|Jessheim|Elverum|Ski|Narvik|Askim|Steinkjer|Grimstad|Alta|Notodden|Førde|Leirvik|Namsos|Brumunddal|Kopervik|Fauske|Hokksund|Nesttun|Ørsta|Vinstra|Vossevangen|Rjukan|Bryne|Lysaker|Fetsund|Hommelvik|Søgne|Ulsteinvik",
        states:
            "Akershus|Aust-Agder|Buskerud|Finnmark - Finnmárku|Hedmark|Hordaland|Møre og Romsdal|Nordland|Nord-Trøndelag|Oppland|Oslo|Rogaland|Sogn og Fjordane|Sør-Trøndelag|Telemark|Troms - Romsa|Vest-Agder|Vestfold|Østfold"
    )

    static let nz = NationalityTable(
        code: "NZ",
        country: "New Zealand",
        maleFirst:
            "Archer|Oliver|Jack|Noah|Leo|George|William|Lucas|Charlie|Hunter|Luca|Thomas|James|Mason|Hudson|Theodore|Max|Harrison|Arlo|Liam|Henry|Beau|Levi|Ethan|Samuel|Benjamin|Finn|Isaac|Jacob|Cooper|Riley|Nikau|Ari|Manaia|Tama|Wiremu|Hemi|Rawiri|Tane|Kauri|Caleb|Blake|Logan|Jayden|Connor|Flynn|Carter|Felix|Xavier",
        femaleFirst:
            "Ivy|Kayla|Kate|Charlotte|Isla|Olivia|Amelia|Mia|Ella|Harper|Willow|Lily|Sophie|Ruby|Grace|Zoe|Emily|Aria|Evie|Georgia|Hannah|Madison|Chloe|Maia|Aroha|Mere|Anahera|Kaia|Ayla|Hazel|Sienna|Matilda|Holly|Eden|Piper|Frankie|Stella|Florence|Lucy|Bella|Aaliyah|Jessica|Brooke|Paige|Abby|Eva|Maddison",
        last:
            "Wright|Hall|Lee|Roberts|Smith|Williams|Brown|Wilson|Taylor|Jones|Singh|Thompson|Anderson|Walker|Campbell|White|Harris|Martin|Clark|Robinson|Scott|King|Young|Mitchell|Kelly|Ngata|Parata|Tipene|Walters|Moana|Miller|Davies|Johnson|Stewart|Evans|Baker|Cooper|Turner|Chen|Wang|Li|Patel|Murray|Thomas|Edwards|Hughes|Morris|Green|Phillips|Graham|Reid|Clarke|Ross|Watson|Jackson|Hill|Moore|Bell|Fraser|Cameron|Hamilton|Johnston|Grant|Mackay|Henare|Hohaia|Te Whare|Rangi|Herewini|Tahana|Gray|Morgan|Jenkins|Lewis|Nelson|Holmes",
        streets:
            "Domain Road|Port Hills Road|Collingwood Street|Kahikatea Drive|Queen Street|Victoria Street|Great North Road|Dominion Road|Ponsonby Road|Karangahape Road|Lambton Quay|Cuba Street|Courtenay Place|Willis Street|Colombo Street|Riccarton Road|Papanui Road|George Street|Princes Street|Cameron Road|Devonport Road|Hobson Street|Tuam Street|Manchester Street|Moorhouse Avenue|Tawa Street|Rimu Street|Totara Avenue|Kowhai Drive|Pohutukawa Avenue|Manuka Street|Ngaio Road|Harakeke Street|Beach Road|Marine Parade|Te Atatu Road|Hutt Road|Taharoto Road|Ti Rakau Drive|Tamaki Drive|Lincoln Road|Halswell Junction Road",
        cities:
            "Rotorua|Christchurch|Gisborne|Greymouth|Auckland|Wellington|Hamilton|Tauranga|Lower Hutt|Dunedin|Palmerston North|Napier|Porirua|Hibiscus Coast|New Plymouth|Upper Hutt|Whangarei|Nelson|Hastings|Invercargill|Whanganui|Timaru|Blenheim|Pukekohe|Taupo|Masterton|Levin|Ashburton|Cambridge|Te Awamutu|Oamaru|Tokoroa|Feilding|Queenstown|Waiuku|Kerikeri|Wanaka|Motueka|Thames|Dannevirke|Westport|Kaikoura|Hokitika|Whakatane|Te Puke|Paraparaumu|Waihi|Matamata|Morrinsville|Stratford|Hawera|Alexandra|Gore|Balclutha",
        states:
            "Northland|Auckland|Waikato|Bay of Plenty|Gisborne|Hawke's Bay|Taranaki|Manawatu-Wanganui|Wellington|Tasman|Nelson|Marlborough|West Coast|Canterbury|Otago|Southland"
    )

    static let rs = NationalityTable(
        code: "RS",
        country: "Serbia",
        maleFirst:
            "Ljubiša|Velibor|Marko|Nikola|Stefan|Luka|Milan|Miloš|Nemanja|Aleksandar|Dragan|Zoran|Goran|Dejan|Nenad|Srđan|Vladimir|Bojan|Dušan|Petar|Đorđe|Uroš|Vuk|Lazar|Filip|Jovan|Ognjen|Mihajlo|Vukašin|Strahinja|Radoslav|Branko|Slobodan|Živko|Dragoljub|Miroslav|Predrag|Radovan|Momčilo|Bogdan|Žarko|Tihomir|Dobrivoje|Miodrag|Živorad|Radomir|Blagoje|Čedomir|Danilo|Relja|Andrej",
        femaleFirst:
            "Andrea|Iva|Ljuba|Lada|Ana|Jelena|Milica|Marija|Jovana|Teodora|Katarina|Ivana|Dragana|Snežana|Gordana|Ljiljana|Mirjana|Vesna|Biljana|Nataša|Svetlana|Tamara|Sanja|Dušica|Jasmina|Zorica|Slavica|Radmila|Desanka|Mila|Sara|Sofija|Nevena|Tijana|Anđela|Kristina|Danica|Vera|Olivera|Branka|Zagorka|Radojka|Vukosava|Stana|Milena|Bojana|Gorana|Jagoda|Ljubica|Dunja",
        last:
            "Kojić|Stevanović|Katanić|Dokić|Rašić|Santrač|Jovanović|Petrović|Nikolić|Marković|Đorđević|Stojanović|Ilić|Pavlović|Milošević|Stanković|Popović|Todorović|Kostić|Ristić|Lazić|Marinković|Simić|Milovanović|Radovanović|Tomić|Stojković|Živković|Mitrović|Milenković|Đukić|Kovačević|Savić|Obradović|Vasić|Janković|Perić|Lukić|Filipović|Babić|Vuković|Bogdanović|Mladenović|Zdravković|Aleksić|Milić|Mihajlović|Ivanović|Cvetković|Gajić|Knežević|Radosavljević|Pešić|Vučković|Rakić|Bošković|Milutinović|Jakovljević|Antić|Stefanović|Nedeljković|Grujić|Vukić|Bjelić|Stanojević|Dimitrijević|Cvijić|Đurić|Tasić|Vidaković|Šarić|Božić|Erić|Ćirić|Mićić|Stamenković|Veljković|Krstić",
        streets:
            "Dvadesetdevetog Novembra|Draginje Vlašić|Vinogradarska|Belasička|Miloša Bajića|Trinaestog Oktobra|Kralja Petra|Knez Mihailova|Bulevar Oslobođenja|Nemanjina|Cara Dušana|Svetogorska|Takovska|Njegoševa|Kneza Miloša|Vojvode Stepe|Cvijićeva|Karađorđeva|Resavska|Kosovska|Gavrila Principa|Vuka Karadžića|Nikole Tesle|Dositejeva|Jovana Cvijića|Zmaj Jovina|Dunavska|Savska|Šumadijska|Bulevar Kralja Aleksandra|Ustanička|Hajduk Veljkova|Svetozara Markovića|Vojvode Mišića|Partizanska|Prvomajska|Desanke Maksimović|Ivana Gorana Kovačića|Stevana Sremca|Sime Matavulja|Dvadesetprvog Maja",
        cities:
            "Belgrade|Kovačica|Petrovac na Mlavi|Sečanj|Sjenica|Zvečan|Novi Sad|Niš|Kragujevac|Subotica|Zrenjanin|Pančevo|Čačak|Kraljevo|Novi Pazar|Smederevo|Leskovac|Valjevo|Kruševac|Vranje|Šabac|Užice|Sombor|Požarevac|Pirot|Zaječar|Kikinda|Sremska Mitrovica|Jagodina|Vršac|Bor|Prokuplje|Loznica|Inđija|Ruma|Bačka Palanka|Apatin|Aranđelovac|Paraćin|Ćuprija|Negotin|Knjaževac|Bujanovac|Priboj|Prijepolje|Ivanjica|Gornji Milanovac|Lazarevac|Obrenovac|Mladenovac|Vrbas|Bečej|Senta|Kanjiža|Ada|Temerin|Titel|Žabalj|Kula|Odžaci|Stara Pazova|Pećinci|Šid|Bela Crkva|Alibunar|Plandište|Opovo|Žitište|Nova Crnja|Despotovac|Svilajnac|Golubac|Kučevo|Žagubica|Raška|Tutin|Blace|Kuršumlija|Žitorađa|Doljevac|Merošina|Svrljig|Babušnica|Dimitrovgrad|Bosilegrad|Trgovište|Surdulica|Vladičin Han|Preševo|Medveđa|Lebane|Bojnik|Vlasotince|Crna Trava",
        states:
            "North Bačka|Central Banat|North Banat|South Banat|West Bačka|South Bačka|Srem|Mačva|Kolubara|Podunavlje|Braničevo|Šumadija|Pomoravlje|Bor|Zaječar|Zlatibor|Moravica|Raška|Rasina|Nišava|Toplica|Pirot|Jablanica|Pčinja|Kosovo|Peć|Prizren|Kosovska Mitrovica|Kosovo-Pomoravlje|Belgrade"
    )

    static let tr = NationalityTable(
        code: "TR",
        country: "Turkey",
        maleFirst:
            "Barış|Necati|Mehmet|Mustafa|Ahmet|Ali|Hüseyin|Hasan|İbrahim|İsmail|Osman|Yusuf|Murat|Ömer|Ramazan|Halil|Süleyman|Abdullah|Mahmut|Recep|Salih|Kemal|Fatih|Emre|Burak|Serkan|Onur|Tolga|Volkan|Cem|Can|Eren|Kaan|Berk|Efe|Emir|Arda|Yiğit|Alp|Oğuz|Tuncay|Erdem|Selim|Orhan|Turgut|Kadir|Sinan|Hakan|Levent|Ufuk|Nihat|Şükrü|Doğan",
        femaleFirst:
            "Afşar|Mestan|Ömür|Ayşe|Fatma|Emine|Hatice|Zeynep|Elif|Meryem|Şerife|Zehra|Sultan|Hanife|Merve|Özlem|Esra|Büşra|Derya|Dilek|Gülay|Gülsüm|Hülya|Sevgi|Serap|Songül|Tuğba|Yasemin|Ebru|Selin|Ecem|İrem|Defne|Ela|Asya|Nehir|Azra|Nisa|Melek|Ece|Aslı|Buse|Pınar|Nur|Şeyma|Sibel|Gönül|Nurcan|Filiz|Birsen|Canan|Öykü",
        last:
            "Tazegül|Kunter|Kulaksızoğlu|Korol|Yazıcı|Yılmaz|Kaya|Demir|Şahin|Çelik|Yıldız|Yıldırım|Öztürk|Aydın|Özdemir|Arslan|Doğan|Kılıç|Aslan|Çetin|Kara|Koç|Kurt|Özkan|Şimşek|Polat|Özcan|Korkmaz|Çakır|Erdoğan|Yavuz|Can|Acar|Şen|Aktaş|Güler|Yalçın|Güneş|Bozkurt|Bulut|Keskin|Ünal|Turan|Gül|Özer|Işık|Kaplan|Avcı|Sarı|Tekin|Taş|Köse|Yüksel|Ateş|Aksoy|Uçar|Karakaya|Tunç|Başaran|Akbulut|Erdem|Ekinci|Durmaz|Karaca|Sezer|Akgül|Türkmen|Eronat|Özbey|Akyüz|Oraloğlu|Karaböcek|Tuğluk|Adıvar|Kocabıyık|Abacı|Sözeri|Alyanak|Topaloğlu|Günday",
        streets:
            "Necatibey Cd|Maçka Cd|Istiklal Cd|Şehitler Cd|Atatürk Sk|Bağdat Cd|Kushimoto Sk|Fatih Sultan Mehmet Cd|Cumhuriyet Cd|Mevlana Cd|Abanoz Sk|Filistin Cd|Doktorlar Cd|Vatan Cd|Anafartalar Cd|Talak Göktepe Cd|Atatürk Cd|Kâzım Karabekir Cd|Hürriyet Cd|Talatpaşa Cd|Barbaros Cd|Menderes Cd|Bahçeli Evler Sk|Gazi Mustafa Kemal Cd|Karanfil Sk|Lale Sk|Papatya Sk|Mimar Sinan Cd|Ankara Cd|İstanbul Cd|Bostancı Sk|Kocatepe Cd|Çiftlik Sk|Kavaklıdere Cd|Tunalı Hilmi Cd|Nişantaşı Sk|Kıbrıs Şehitleri Cd|Fevzi Çakmak Cd|İnönü Cd|Abdi İpekçi Cd|Sultan Ahmet Cd",
        cities:
            "Şırnak|Kütahya|Rize|Bingöl|İstanbul|Ankara|İzmir|Bursa|Antalya|Adana|Konya|Gaziantep|Şanlıurfa|Kocaeli|Mersin|Diyarbakır|Hatay|Manisa|Kayseri|Samsun|Balıkesir|Kahramanmaraş|Van|Aydın|Denizli|Sakarya|Tekirdağ|Muğla|Eskişehir|Mardin|Malatya|Trabzon|Erzurum|Ordu|Afyonkarahisar|Sivas|Tokat|Zonguldak|Çorum|Elazığ|Aksaray|Isparta|Giresun|Yozgat|Edirne|Düzce|Kastamonu|Uşak|Niğde|Bitlis|Çanakkale|Amasya|Artvin|Sinop|Bolu|Yalova|Kırklareli|Bartın|Bayburt|Tunceli|Ardahan|Kilis|Iğdır|Hakkari|Siirt|Batman|Osmaniye|Karabük|Nevşehir|Burdur|Bilecik|Çankırı|Gümüşhane|Muş|Ağrı|Kars|Erzincan|Adıyaman",
        states:
            "Adana|Adıyaman|Afyonkarahisar|Ağrı|Amasya|Ankara|Antalya|Artvin|Aydın|Balıkesir|Bilecik|Bingöl|Bitlis|Bolu|Burdur|Bursa|Çanakkale|Çankırı|Çorum|Denizli|Diyarbakır|Edirne|Elazığ|Erzincan|Erzurum|Eskişehir|Gaziantep|Giresun|Gümüşhane|Hakkari|Hatay|Isparta|Mersin|İstanbul|İzmir|Kars|Kastamonu|Kayseri|Kırklareli|Kırşehir|Kocaeli|Konya|Kütahya|Malatya|Manisa|Kahramanmaraş|Mardin|Muğla|Muş|Nevşehir|Niğde|Ordu|Rize|Sakarya|Samsun|Siirt|Sinop|Sivas|Tekirdağ|Tokat|Trabzon|Tunceli|Şanlıurfa|Uşak|Van|Yozgat|Zonguldak|Aksaray|Bayburt|Karaman|Kırıkkale|Batman|Şırnak|Bartın|Ardahan|Iğdır|Yalova|Karabük|Kilis|Osmaniye|Düzce"
    )

    static let ua = NationalityTable(
        code: "UA",
        country: "Ukraine",
        maleFirst:
            "Boris|Peresvit|Bogdan|Andriy|Oleksandr|Oleg|Taras|Mikola|Mikhaylo|Petro|Ivan|Vasil|Yuriy|Dmitro|Sergiy|Volodimir|Stepan|Ostap|Yaroslav|Roman|Igor|Maksim|Artem|Denis|Vitaliy|Viktor|Anatoliy|Valentin|Leonid|Pavlo|Ruslan|Svyatoslav|Zakhar|Yakiv|Orest|Lyubomir|Miroslav|Radim|Vsevolod|Zinoviy|Zlatan|Nazar|Matviy|Arseniy|Danilo|Gnat|Tikhon|Kostyantin|Bronislav|Ladislav",
        femaleFirst:
            "Oksana|Olena|Irina|Natalya|Tetyana|Svitlana|Galina|Lyudmila|Kateryna|Mariya|Anna|Yuliya|Viktoriya|Sofiya|Darina|Solomiya|Zlata|Vira|Nadiya|Lyubov|Lesya|Ulyana|Khristina|Yaroslava|Miroslava|Zoreslava|Lyubava|Bogdana|Orisya|Yevgeniya|Valentina|Larisa|Alla|Inna|Ganna|Zhanna|Nina|Roksolana|Marta|Yelizaveta|Vasilina|Dana|Rostislava|Svyatoslava|Evdokiya|Stefaniya|Yarina|Veselina|Nelya",
        last:
            "Ribalchenko|Grivko|Shevchenko|Kovalenko|Bondarenko|Tkachenko|Kravchenko|Oliynik|Shevchuk|Koval|Polishchuk|Bondar|Tkachuk|Moroz|Marchenko|Lisenko|Rudenko|Savchenko|Petrenko|Klimenko|Pavlenko|Kravchuk|Kuzmenko|Ponomarenko|Savchuk|Vasilenko|Levchenko|Kharchenko|Karpenko|Gavrilyuk|Melnichuk|Zinchenko|Yurchenko|Litvinenko|Mazur|Boyko|Melnik|Kovalchuk|Tkach|Ostapchuk|Nazarenko|Ivanenko|Andrushchenko|Pilipenko|Voloshin|Lozinskiy|Gonchar|Gordiyenko|Fedorchuk|Chornovil|Prokopenko|Didenko|Demchenko|Yakovenko|Sidorenko|Gerasimenko|Panchenko|Nesterenko|Stepanenko|Lukashuk|Bilyk|Zhuk|Rusin|Palamarchuk|Dovzhenko|Skoropadskiy|Grinchenko|Sosyura|Franko|Kotlyarevskiy|Chumak|Sheremet|Tarasenko|Zakharchenko",
        streets:
            "Patriarha Mstislava Skripnika|Provulok Dezhnieva|Hreschatik|Shevchenka|Franka|Lesi Ukrayinki|Bogdana Khmelnitskogo|Sadova|Shkilna|Tsentralna|Zelena|Naberezhna|Molodizhna|Lisova|Peremogi|Mira|Gagarina|Soborna|Nezalezhnosti|Grushevskogo|Kotsyubinskogo|Ivana Mazepi|Chornovola|Stusa|Kvitneva|Vishneva|Polova|Pidgirna|Ozerna|Richkova|Provulok Shkilniy|Provulok Sadoviy|Kiyivska|Zaliznichna|Vokzalna|Pushkinska|Sumska|Yevreyska|Kozatska|Vatutina|Staronavodnitska|Bazhana|Vinnichenka",
        cities:
            "Rivne|Noviy Kaliniv|Kiyiv|Kharkiv|Odesa|Dnipro|Donetsk|Zaporizhzhya|Lviv|Kriviy Rig|Mikolayiv|Mariupol|Lugansk|Vinnitsya|Makiyivka|Simferopol|Kherson|Poltava|Chernigiv|Cherkasi|Khmelnitskiy|Zhitomir|Chernivtsi|Sumi|Ivano-Frankivsk|Ternopil|Lutsk|Uzhgorod|Kropivnitskiy|Kremenchuk|Bila Tserkva|Melitopol|Kamyanske|Berdyansk|Nikopol|Sloviansk|Pavlograd|Kramatorsk|Kamyanets-Podilskiy|Brovari|Konotop|Uman|Izmayil|Boryspil|Drogobich|Kovel|Mukachevo|Kolomiya|Truskavets|Berdichiv|Fastiv|Stryi|Shostka|Nizhin|Svitlovodsk|Sokal|Zolochiv|Bilgorod-Dnistrovskiy|Lubni|Okhtirka|Vasilkiv|Yagotin|Bakhmach|Sambir|Chortkiv|Kalush|Pereyaslav|Obukhiv",
        states:
            "Vinnitska|Volinska|Dnipropetrovska|Donetska|Zhitomirska|Zakarpatska|Zaporizka|Ivano-Frankivska|Kiyivska|Kirovogradska|Luganska|Lvivska|Mikolayivska|Odeska|Poltavska|Rivnenska|Sumska|Ternopilska|Kharkivska|Khersonska|Khmelnitska|Cherkaska|Chernivetska|Chernigivska"
    )

    static let us = NationalityTable(
        code: "US",
        country: "United States",
        maleFirst:
            "Christopher|James|John|Robert|Michael|William|David|Richard|Joseph|Thomas|Charles|Daniel|Matthew|Anthony|Mark|Donald|Steven|Paul|Andrew|Joshua|Kenneth|Kevin|Brian|George|Timothy|Ronald|Edward|Jason|Jeffrey|Ryan|Jacob|Gary|Nicholas|Eric|Jonathan|Stephen|Larry|Justin|Scott|Brandon|Benjamin|Samuel|Gregory|Alexander|Frank|Patrick|Raymond|Jack|Dennis|Jerry|Tyler|Aaron|Jose|Adam|Nathan|Henry|Douglas|Zachary|Peter|Kyle|Walter|Ethan|Jeremy|Harold|Keith|Christian|Roger|Noah|Gerald|Carl|Terry|Sean|Austin|Arthur|Lawrence|Jesse|Dylan|Bryan|Joe|Jordan|Billy|Bruce|Albert|Willie|Gabriel|Logan|Alan|Juan|Wayne|Roy|Ralph|Randy|Eugene|Vincent|Russell|Elijah|Louis|Bobby|Philip|Johnny|Clifford|Herman|Jimmie|Marvin|Lester|Clyde|Floyd|Dwayne|Gene|Vernon|Milton|Leroy|Duane|Brent|Travis|Dustin",
        femaleFirst:
            "Sonia|Bessie|Avery|Theresa|Mary|Patricia|Jennifer|Linda|Elizabeth|Barbara|Susan|Jessica|Sarah|Karen|Nancy|Lisa|Betty|Margaret|Sandra|Ashley|Kimberly|Emily|Donna|Michelle|Dorothy|Carol|Amanda|Melissa|Deborah|Stephanie|Rebecca|Sharon|Laura|Cynthia|Kathleen|Amy|Shirley|Angela|Helen|Anna|Brenda|Pamela|Nicole|Emma|Samantha|Katherine|Christine|Debra|Rachel|Catherine|Carolyn|Janet|Ruth|Maria|Heather|Diane|Virginia|Julie|Joyce|Victoria|Olivia|Kelly|Christina|Lauren|Joan|Evelyn|Judith|Megan|Cheryl|Andrea|Hannah|Martha|Jacqueline|Frances|Gloria|Ann|Teresa|Kathryn|Sara|Janice|Jean|Alice|Madison|Doris|Abigail|Julia|Judy|Grace|Denise|Amber|Marilyn|Beverly|Danielle|Sophia|Marie|Diana|Brittany|Natalie|Isabella|Charlotte|Rose|Alexis|Kayla|Vera|Tracy|Dianne|Peggy|Leta|Ella|Lena|Erin|Jenny|Wanda|Carrie|Kristen",
        last:
            "Scott|Freeman|Brooks|Olson|Craig|Smith|Johnson|Williams|Brown|Jones|Garcia|Miller|Davis|Rodriguez|Martinez|Hernandez|Lopez|Gonzalez|Wilson|Anderson|Thomas|Taylor|Moore|Jackson|Martin|Lee|Perez|Thompson|White|Harris|Sanchez|Clark|Ramirez|Lewis|Robinson|Walker|Young|Allen|King|Wright|Torres|Nguyen|Hill|Flores|Green|Adams|Nelson|Baker|Hall|Rivera|Campbell|Mitchell|Carter|Roberts|Gomez|Phillips|Evans|Turner|Diaz|Parker|Cruz|Edwards|Collins|Reyes|Stewart|Morris|Morales|Murphy|Cook|Rogers|Gutierrez|Ortiz|Morgan|Cooper|Peterson|Bailey|Reed|Kelly|Howard|Ramos|Kim|Cox|Ward|Richardson|Watson|Wood|James|Bennett|Gray|Mendoza|Ruiz|Hughes|Price|Alvarez|Castillo|Sanders|Patel|Myers|Long|Ross|Foster|Jimenez|Powell|Jenkins|Perry|Russell|Sullivan|Bell|Coleman|Butler|Henderson|Barnes|Gonzales|Fisher|Vasquez|Simmons|Romero|Jordan|Patterson|Alexander|Hamilton|Graham|Reynolds|Griffin|Wallace|Moreno|West|Cole|Hayes|Bryant|Herrera|Gibson|Ellis|Tran|Medina|Aguilar|Stevens|Murray|Ford|Castro|Marshall|Owens|Harrison|Fernandez|Mcdonald|Woods|Washington|Kennedy|Wells|Vargas|Henry|Chen|Hart|Hunter|Fields|Lawson|Carroll|Hudson|Lane|Mills|Palmer|Ray|Rose|Stone|Hawkins|Dunn|Perkins|Hicks|Arnold|Fuller|Lynch|Obrien|Barrett|Wagner|Holt|Franklin|Beck|Jacobs|Kuhn|Harper|Soto|Riley|Carlson|Bates|Carpenter|Lambert|Fox|Hanson|Warren|Wheeler|Mccoy|Bradley|Payne|Pearson|Gilbert|Watkins|Sutton|Little|Austin|Chavez|Burton|Frazier|Steward|Peters|Wade|Hale|Elliott|Banks|Black|Newman|Dean|Reid|Daniels|Ryan|Holland|Duncan|Gordon|Nichols|Lowe|Berry|Fowler|Horton|Jensen|Hoffman|Matthews|Carr|Shelton|Snyder|Hopkins|Cunningham|Knight|Welch|Caldwell|Andrews|Spencer|Robertson|Lucas|Mason|Howell|Douglas|Burke",
        streets:
            "Thornridge Cir|Pecan Acres Ln|Dane St|College St|Marsh Ln|Hickory Creek Dr|W Sherman Dr|Valley View Ln|Rolling Green Rd|Fairview St|Paddock Way|Mockingbird Hill|Lovers Ln|Timber Wolf Trail|Green Rd|Pine Rd|Royal Ln|Karen Dr|Wycliff Ave|Westheimer Rd|W Gray St|Parker Rd|Avondale Ave|Ranchview Dr|Preston Rd|Samaritan Dr|Northaven Rd|Cherry St|Oak Ridge Ln|Eason Rd|Poplar Dr|Homestead Rd|Spring Hill Rd|Daisy Dr|Walnut Hill Ln|Bruce St|Edwards Rd|Mcgowen St|Shady Ln Dr|Lone Wolf Trail|Harrison Ct|Smokey Ln|Plum St|Stevens Creek Blvd|Central St|Groveland Terrace|Robinson Rd|N Stelling Rd|Hunters Creek Dr|Forest Ln|Railroad St|Ash Dr|Mcclellan Rd|E Little York Rd|Brown Terrace|Country Club Rd|Miller Ave|Wheeler Ridge Dr|Dogwood Ave|Frances Ct|Hillcrest Rd",
        cities:
            "Irvine|Mesquite|Altoona|Warren|Santa Clarita|New York|Los Angeles|Chicago|Houston|Phoenix|Philadelphia|San Antonio|San Diego|Dallas|San Jose|Austin|Jacksonville|Fort Worth|Columbus|Charlotte|San Francisco|Indianapolis|Seattle|Denver|Washington|Boston|El Paso|Nashville|Detroit|Oklahoma City|Portland|Las Vegas|Memphis|Louisville|Baltimore|Milwaukee|Albuquerque|Tucson|Fresno|Sacramento|Kansas City|Mesa|Atlanta|Omaha|Colorado Springs|Raleigh|Long Beach|Virginia Beach|Miami|Oakland|Minneapolis|Tulsa|Bakersfield|Wichita|Arlington|Aurora|Tampa|New Orleans|Cleveland|Honolulu|Anaheim|Lexington|Stockton|Corpus Christi|Henderson|Riverside|Newark|Saint Paul|Santa Ana|Cincinnati|Orlando|Pittsburgh|St. Louis|Greensboro|Lincoln|Anchorage|Plano|Durham|Buffalo|Chandler|Chula Vista|Toledo|Madison|Gilbert|Reno|Fort Wayne|North Las Vegas|St. Petersburg|Lubbock|Laredo|Norfolk|Garland|Glendale|Hialeah|Chesapeake|Scottsdale|Fremont|Baton Rouge|Richmond|Boise|San Bernardino|Spokane|Des Moines|Modesto|Birmingham|Tacoma|Fontana|Rochester|Oxnard|Moreno Valley|Fayetteville|Huntington Beach|Yonkers|Salem|Eugene|Rockford|Dayton|Odessa|Syracuse|Pasadena|Carrollton|Lakewood|Killeen|Elgin|Coppell|Frisco|Grand Prairie|Denton|Lewisville|Bridgeport|Hartford|Allentown|Evansville|Erie|Provo|Billings|Fargo|Sioux Falls|Cedar Rapids|Topeka|Springfield|Independence",
        states:
            "Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|Hawaii|Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|Michigan|Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey|New Mexico|New York|North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|Rhode Island|South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington|West Virginia|Wisconsin|Wyoming"
    )
}
